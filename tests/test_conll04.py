"""CoNLL04: the converter on real records (counts and spans as in the JSON), its checks, and a tiny training run."""
import json
from pathlib import Path

import pytest
import spacy
from spacy.cli.train import train
from spacy.tokens import Doc

from conftest import ROOT, SHARED
from news_relations.conll04 import conll04_metrics, macro, write_docbins
from news_relations.docs import get_relations
from news_relations.evaluation import reference_example
from news_relations.io.annotations import AnnotationError
from news_relations.io.conll04 import bilou_spans, read_conll04
from news_relations.schema import CONLL04_SCHEME

DATA = SHARED / "datasets" / "conll04"
CONFIG = ROOT / "configs" / "conll04_cpu.cfg"
N_RECORDS = 12
TINY = {"training.max_steps": 6, "training.eval_frequency": 3, "training.patience": 0,
        "components.tok2vec.model.encode.width": 32, "components.tok2vec.model.encode.depth": 1,
        "components.relation_extractor.model.hidden_width": 16, "components.relation_extractor.model.tok2vec.depth": 1,
        "components.tok2vec.model.embed.include_static_vectors": False}


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory) -> Path:
    """The first records of the real dev file, written as train, dev and test splits."""
    directory = tmp_path_factory.mktemp("conll04")
    records = json.loads((DATA / "conll04_dev.json").read_text())[:N_RECORDS]
    for split in ("train", "dev", "test"):
        (directory / f"conll04_{split}.json").write_text(json.dumps(records))
    return directory


def test_converter_matches_the_json(small_dir):
    records = json.loads((small_dir / "conll04_dev.json").read_text())
    docs, problems = read_conll04(small_dir / "conll04_dev.json", spacy.blank("en").vocab, CONLL04_SCHEME)
    assert problems == [] and len(docs) == len(records)
    for doc, record in zip(docs, records):
        assert [t.text for t in doc] == record["tokens"]
        n_ents = sum(tag[0] in "BU" for tag in record["tags"])
        assert len(doc.ents) == n_ents
        for ent in doc.ents:
            tags = record["tags"][ent.start : ent.end]
            assert tags[0][0] in "BU" and tags[-1][0] in "LU" and all(t[2:] == ent.label_ for t in tags)
        rels = get_relations(doc)
        assert len(rels) == len(record["relations"])
        for rel, gold in zip(rels, record["relations"]):
            assert rel.label == gold["type"]
            assert (rel.head.start, rel.head.end) == (doc.ents[gold["head"]].start, doc.ents[gold["head"]].end)
            assert (rel.tail.start, rel.tail.end) == (doc.ents[gold["tail"]].start, doc.ents[gold["tail"]].end)


def test_first_dev_record_spans():
    docs, _ = read_conll04(DATA / "conll04_dev.json", spacy.blank("en").vocab, CONLL04_SCHEME)
    doc = docs[0]
    assert [(e.text, e.label_, e.start, e.end) for e in doc.ents] == [("John Wilkes Booth", "Peop", 0, 3), ("President Lincoln", "Peop", 6, 8)]
    assert [(r.head.text, r.label, r.tail.text) for r in get_relations(doc)] == [("John Wilkes Booth", "Kill", "President Lincoln")]


def test_evaluation_keeps_the_dataset_tokens():
    nlp = spacy.blank("en")
    reference = Doc(nlp.vocab, words=["A", "well-known", "U.S.-based", "firm", "."])
    assert [t.text for t in reference_example(nlp, reference).predicted] != [t.text for t in reference]
    assert [t.text for t in reference_example(nlp, reference, gold_tokens=True).predicted] == [t.text for t in reference]


def test_bilou_errors_are_reported():
    spans, errors = bilou_spans(["B-Peop", "O", "I-Org", "U-Loc", "B-Org", "L-Org", "B-Loc"])
    assert spans == [(3, 4, "Loc"), (4, 6, "Org")]
    assert len(errors) == 3


def test_bad_records_name_file_and_record(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([
        {"tokens": ["Ann", "works", "for", "IBM"], "tags": ["U-Peop", "O", "O", "U-Org"], "relations": [{"head": 0, "tail": 1, "type": "Work_For"}]},
        {"tokens": ["Ann", "in", "Rome"], "tags": ["U-Peop", "O", "U-Loc"], "relations": [{"head": 1, "tail": 0, "type": "Live_In"}]},
        {"tokens": ["Ann"], "tags": ["U-Peop"], "relations": [{"head": 0, "tail": 5, "type": "Kill"}]},
    ]))
    with pytest.raises(AnnotationError) as err:
        read_conll04(path, spacy.blank("en").vocab, CONLL04_SCHEME)
    assert [(p.path, p.line) for p in err.value.problems] == [(str(path), 1), (str(path), 2)]
    docs, problems = read_conll04(path, spacy.blank("en").vocab, CONLL04_SCHEME, strict=False)
    assert len(docs) == 1 and len(problems) == 2 and "does not allow Loc -> Peop" in str(problems[0])


def test_macro_is_the_mean_over_all_labels():
    per_type = {"Kill": {"f": 0.8}, "Work_For": {"f": 0.4}}
    assert macro(per_type, CONLL04_SCHEME.relation_labels) == pytest.approx(1.2 / 5)


def test_tiny_training_run_and_gold_token_evaluation(small_dir, tmp_path):
    counts = write_docbins(small_dir, tmp_path / "corpus", spacy.blank("en").vocab, CONLL04_SCHEME)
    assert counts["dev"]["sentences"] == N_RECORDS
    overrides = {"paths.train": str(tmp_path / "corpus" / "train.spacy"), "paths.dev": str(tmp_path / "corpus" / "dev.spacy"), **TINY}
    train(CONFIG, tmp_path / "out", overrides=overrides)
    nlp = spacy.load(tmp_path / "out" / "model-last")
    assert nlp.pipe_names == ["tok2vec", "ner", "relation_extractor"]
    assert nlp.get_pipe("relation_extractor").labels == CONLL04_SCHEME.relation_labels
    refs = read_conll04(small_dir / "conll04_test.json", nlp.vocab, CONLL04_SCHEME)[0]
    metrics = conll04_metrics(nlp, refs, CONLL04_SCHEME)
    assert 0.0 <= metrics["rel_macro_f_all_types"] <= 1.0 and metrics["words_per_second"] > 0
    assert set(metrics["rel_gold_f_per_type"]) <= set(CONLL04_SCHEME.relation_labels)

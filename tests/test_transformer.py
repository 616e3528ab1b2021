"""The transformer config trains offline on the packaged MiniLM weights and round-trips through disk."""
import os
import sys
from pathlib import Path

# Offline before anything imports huggingface_hub / transformers: nothing may come from a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy
import pytest
import spacy
import srsly
from spacy.tokens import DocBin
from spacy.training import Example
from spacy.training.initialize import init_nlp
from spacy.training.loop import train as train_loop
from spacy.util import load_config

from conftest import ROOT

from news_relations.docs import get_relations
from news_relations.ml.backbone import WEIGHTS_PACKAGES, backbone_path

TRF_CONFIG = ROOT / "configs" / "ner_rel_trf.cfg"
# The backbone project.yml trains by default: the fact lives there, the test reads it.
DEFAULT_BACKBONE = srsly.read_yaml(ROOT / "project.yml")["vars"]["transformer"]
TINY_TRF = {
    "training.max_steps": 3, "training.eval_frequency": 3, "training.patience": 0,
    "training.batcher.size": 400,
    "components.transformer.model.get_spans.window": 32, "components.transformer.model.get_spans.stride": 32,
    "components.transformer.model.transformer_config": {"num_hidden_layers": 1},
    "components.relation_extractor.model.hidden_width": 16, "components.ner.model.hidden_width": 16,
}


@pytest.fixture(scope="module")
def trf_trained(tmp_path_factory, team_docs):
    """A transformer pipeline trained for 3 steps on the four shortest team articles, kept in memory."""
    root = tmp_path_factory.mktemp("trf")
    short = sorted(team_docs, key=len)[:6]
    DocBin(docs=short[:4], store_user_data=True).to_disk(root / "train.spacy")
    DocBin(docs=short[4:], store_user_data=True).to_disk(root / "dev.spacy")
    overrides = {"paths.train": str(root / "train.spacy"), "paths.dev": str(root / "dev.spacy"),
                 "paths.transformer": DEFAULT_BACKBONE, **TINY_TRF}
    nlp = init_nlp(load_config(TRF_CONFIG, overrides=overrides, interpolate=False))
    with open(os.devnull, "w") as quiet:
        nlp, _ = train_loop(nlp, None, stdout=quiet)
    return nlp, short[4:], root


def _outputs(nlp, texts):
    docs = list(nlp.pipe(texts))
    return ([[(e.start, e.end, e.label_) for e in d.ents] for d in docs],
            [[(r.head.start, r.label, r.tail.start, round(r.score, 4)) for r in get_relations(d)] for d in docs],
            [numpy.asarray(d._.trf_data.model_output.last_hidden_state) for d in docs])


def test_default_backbone_resolves_to_installed_weights():
    folder = Path(backbone_path(DEFAULT_BACKBONE))
    assert DEFAULT_BACKBONE in WEIGHTS_PACKAGES
    assert (folder / "config.json").exists() and (folder / "tokenizer.json").exists()
    assert backbone_path("roberta-base") == "roberta-base"


def test_trained_pipeline_round_trips_without_weights_package(trf_trained, tmp_path, monkeypatch):
    nlp, dev_docs, _ = trf_trained
    assert nlp.pipe_names == ["transformer", "ner", "relation_extractor", "alias_clusters"]
    texts = [d.text for d in dev_docs]
    before = _outputs(nlp, texts)
    nlp.to_disk(tmp_path / "model")
    saved = load_config(tmp_path / "model" / "config.cfg", interpolate=True)
    assert saved["components"]["transformer"]["model"]["name"]["name"] == DEFAULT_BACKBONE
    # Loading must use the weights stored with the pipeline: the weights package is made unimportable.
    monkeypatch.setitem(sys.modules, WEIGHTS_PACKAGES[DEFAULT_BACKBONE], None)
    assert backbone_path(DEFAULT_BACKBONE) == DEFAULT_BACKBONE
    loaded = spacy.load(tmp_path / "model")
    after = _outputs(loaded, texts)
    assert after[0] == before[0] and after[1] == before[1]
    for a, b in zip(after[2], before[2]):
        numpy.testing.assert_allclose(a, b, atol=1e-5)


def test_gold_entity_scoring_reads_transformer_output(trf_trained):
    nlp, dev_docs, _ = trf_trained
    pipe = nlp.get_pipe("relation_extractor")
    eg = Example(nlp(dev_docs[0].text), dev_docs[0])
    gold_doc = pipe._with_gold_entities(eg)
    cands = pipe.candidates(gold_doc)
    assert len(cands) > 0
    with_trf = pipe.model.predict(([gold_doc], [cands]))
    recomputed = nlp.get_pipe("transformer")(gold_doc.copy())
    numpy.testing.assert_allclose(with_trf, pipe.model.predict(([recomputed], [cands])), atol=1e-4)
    gold_doc._.trf_data = None  # the listener then falls back to zeros: the scores must change
    assert not numpy.allclose(with_trf, pipe.model.predict(([gold_doc], [cands])), atol=1e-4)
    scores = pipe.score([eg])
    assert 0.0 <= scores["rel_gold_micro_f"] <= 1.0

"""Shared fixtures: the worked example from ../shared, a blank English pipeline, tiny corpora."""
from pathlib import Path

import pytest
import spacy

from spacy.cli.train import train
from spacy.tokens import DocBin

from news_relations.corpus import brat_dir_to_docs
from news_relations.io.brat import read_brat
from news_relations.schema import NEWS_SCHEME

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
EXAMPLE_NAME = "000_96cc284fae9d0fac"
CONFIG = ROOT / "configs" / "ner_rel_cpu.cfg"


@pytest.fixture(scope="session")
def example_dir(tmp_path_factory) -> Path:
    """The worked example (third-party text read from ../shared) as a brat directory."""
    directory = tmp_path_factory.mktemp("example")
    (directory / f"{EXAMPLE_NAME}.txt").write_bytes((SHARED / "seeds" / f"{EXAMPLE_NAME}.txt").read_bytes())
    (directory / f"{EXAMPLE_NAME}.ann").write_bytes((SHARED / "annotation" / "examples" / f"{EXAMPLE_NAME}.ann").read_bytes())
    return directory


@pytest.fixture(scope="session")
def example_ann(example_dir):
    doc, problems = read_brat(example_dir / f"{EXAMPLE_NAME}.txt", NEWS_SCHEME)
    assert problems == []
    return doc


@pytest.fixture(scope="session")
def nlp_blank():
    return spacy.blank("en")


@pytest.fixture(scope="session")
def example_doc(example_dir, nlp_blank):
    docs, problems = brat_dir_to_docs(example_dir, nlp_blank, NEWS_SCHEME)
    assert problems == []
    return docs[0]


@pytest.fixture(scope="session")
def team_docs(nlp_blank):
    """A few team-written seed articles from seeds/ (the shipped corpus)."""
    docs, problems = brat_dir_to_docs(ROOT / "seeds", nlp_blank, NEWS_SCHEME)
    assert problems == []
    return sorted(docs, key=lambda d: d.user_data["news_relations.doc_id"])


TINY = {"training.max_steps": 12, "training.eval_frequency": 6, "training.patience": 0,
        "components.tok2vec.model.encode.width": 32, "components.tok2vec.model.encode.depth": 1,
        "components.relation_extractor.model.hidden_width": 16, "components.relation_extractor.model.tok2vec.depth": 1,
        "components.tok2vec.model.embed.include_static_vectors": False}


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, team_docs) -> Path:
    """A pipeline trained for a few steps on a handful of team articles (seconds)."""
    root = tmp_path_factory.mktemp("tiny")
    DocBin(docs=team_docs[:4], store_user_data=True).to_disk(root / "train.spacy")
    DocBin(docs=team_docs[4:6], store_user_data=True).to_disk(root / "dev.spacy")
    overrides = {"paths.train": str(root / "train.spacy"), "paths.dev": str(root / "dev.spacy"), **TINY}
    train(CONFIG, root / "out", overrides=overrides)
    return root / "out" / "model-last"



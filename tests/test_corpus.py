"""Quality gates of the shipped corpus (seeds/): valid, no near-duplicates, coverage as issue 3 asks."""
import pytest

from conftest import ROOT
from news_relations.corpus_checks import corpus_stats, shared_runs
from news_relations.io.brat import read_brat_dir
from news_relations.schema import NEWS_SCHEME


@pytest.fixture(scope="module")
def seeds():
    docs, problems = read_brat_dir(ROOT / "seeds", NEWS_SCHEME, strict=True)
    assert problems == []
    return docs


def test_no_two_articles_share_a_long_run(seeds):
    assert shared_runs(seeds, 12) == []


def test_coverage(seeds):
    stats = corpus_stats(seeds)
    assert stats["documents"] >= 400
    assert 80 <= stats["words_min"] and stats["words_max"] <= 700 and stats["words_median"] >= 200
    ents, rels = stats["entities"], stats["relations"]
    assert all(ents[label] >= 600 for label in NEWS_SCHEME.entity_labels) and ents["ROLE"] >= 1200
    assert all(rels[label] >= 300 for label in NEWS_SCHEME.relation_labels)
    assert rels["FORMER_ROLE"] >= 400 and rels["FORMERLY_AFFILIATED_WITH"] >= 400
    assert stats["cross_sentence_share"] >= 0.20
    assert all(doc.meta.get(k) for doc in seeds for k in ("form", "topic", "region"))
    assert all(doc.text.split("\n", 1)[0].strip() for doc in seeds)  # a headline line

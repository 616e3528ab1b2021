"""Alias clusters, entity-level triples and their scorers."""
import pytest
import spacy
from spacy.tokens import Doc, Span
from spacy.training import Example

from news_relations.docs import Relation, get_clusters, set_clusters, set_relations
from news_relations.pipeline.aliases import build_triples, cluster_mentions, get_triples, initials
from news_relations.scoring import b_cubed, score_triples

LABELS = ["PERSON", "ORG", "GPE", "LOC", "NORP"]


def make_doc(nlp) -> Doc:
    text = "Colonel Gulmurod Halimov joined the Islamic State ( ISIS ) in Syria . Halimov praised ISIS . Ahmed Halimov stayed ."
    doc = Doc(nlp.vocab, words=text.split())
    doc.ents = [Span(doc, 0, 1, "ROLE"), Span(doc, 1, 3, "PERSON"), Span(doc, 5, 7, "ORG"), Span(doc, 8, 9, "ORG"),
                Span(doc, 11, 12, "GPE"), Span(doc, 13, 14, "PERSON"), Span(doc, 15, 16, "ORG"), Span(doc, 17, 19, "PERSON")]
    return doc


def test_clusters_surnames_acronyms_and_repeats():
    nlp = spacy.blank("en")
    doc = make_doc(nlp)
    clusters = {tuple(s.text for s in c) for c in cluster_mentions(doc, list(doc.ents), LABELS)}
    assert ("Gulmurod Halimov", "Halimov") in clusters  # nearest preceding full name wins
    assert ("Islamic State", "ISIS", "ISIS") in clusters
    assert ("Ahmed Halimov",) in clusters and ("Syria",) in clusters
    assert initials("Jama'at Nusrat al-Islam wal-Muslimin") == "JNIM"


def test_triples_deduplicate_and_carry_evidence():
    nlp = spacy.blank("en")
    doc = make_doc(nlp)
    e = doc.ents
    rels = [Relation(e[1], "AFFILIATED_WITH", e[2], 0.9), Relation(e[5], "AFFILIATED_WITH", e[6], 0.7), Relation(e[1], "HAS_ROLE", e[0], 0.8)]
    clusters = cluster_mentions(doc, list(doc.ents), LABELS)
    triples = build_triples(doc, rels, clusters)
    assert [(t.head, t.label, t.tail, t.score) for t in triples] == [
        ("Gulmurod Halimov", "AFFILIATED_WITH", "Islamic State", 0.9), ("Gulmurod Halimov", "HAS_ROLE", "Colonel", 0.8)]
    first = triples[0]
    assert doc.text[first.evidence[0]:first.evidence[1]].startswith("Colonel Gulmurod Halimov joined")


def test_b_cubed_hand_checked():
    p, r, n = b_cubed([["a", "b"], ["c"]], [["a"], ["b", "c"]])
    assert n == 3 and p == pytest.approx(2.0) and r == pytest.approx(2.0)


def test_triple_scorer_perfect_and_with_split_cluster(example_doc):
    predicted = example_doc.copy()
    set_clusters(predicted, cluster_mentions(predicted, list(predicted.ents), LABELS))
    scores = score_triples([Example(predicted, example_doc)], labels=LABELS)
    assert scores["triple_f"] == pytest.approx(1.0) and scores["cluster_b3_f"] == pytest.approx(1.0)
    set_clusters(predicted, [])  # every mention alone: Halimov triples on other mentions still map by majority
    assert score_triples([Example(predicted, example_doc)], labels=LABELS)["cluster_b3_r"] < 1.0


def test_component_sets_clusters_and_triples(example_doc):
    nlp = spacy.blank("en")
    nlp.add_pipe("alias_clusters")
    doc = nlp(example_doc.copy())
    assert any(len(c) == 4 for c in get_clusters(doc))
    names = {(t.head, t.label, t.tail) for t in get_triples(doc)}
    assert ("Gulmurod Halimov", "FORMER_ROLE", "head") in names
    assert len(get_triples(doc)) == 17  # each title mention is its own entity, so no two gold relations merge


def test_one_relation_per_entity_pair_keeps_best_mention_pair():
    nlp = spacy.blank("en")
    doc = make_doc(nlp)
    e = doc.ents
    from news_relations.pipeline.aliases import one_relation_per_entity_pair

    rels = [Relation(e[1], "AFFILIATED_WITH", e[2], 0.6), Relation(e[5], "AFFILIATED_WITH", e[6], 0.9), Relation(e[7], "AFFILIATED_WITH", e[6], 0.5)]
    kept = one_relation_per_entity_pair(rels, cluster_mentions(doc, list(doc.ents), LABELS), doc)
    assert [(r.head.text, r.tail.text, r.score) for r in kept] == [("Halimov", "ISIS", 0.9), ("Ahmed Halimov", "ISIS", 0.5)]

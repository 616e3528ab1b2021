"""The relation component: candidates, constraints, scorer, serialization, empty batches, learning."""
import numpy
import pytest
import spacy
from spacy.tokens import Doc, Span
from spacy.training import Example
from thinc.api import Config

from news_relations.docs import Relation, get_relations, set_relations
from news_relations.scoring import score_relations

TOK2VEC = """
[model]
@architectures = "spacy.HashEmbedCNN.v2"
pretrained_vectors = null
width = 32
depth = 1
embed_size = 500
window_size = 1
maxout_pieces = 2
subword_features = true
"""


def make_doc(vocab) -> Doc:
    """Hand-checked: ROLE Colonel, PERSON Gulmurod Halimov, ORG Islamic State, GPE Syria."""
    words = ["Colonel", "Gulmurod", "Halimov", "joined", "Islamic", "State", "in", "Syria", "."]
    doc = Doc(vocab, words=words)
    doc.ents = [Span(doc, 0, 1, "ROLE"), Span(doc, 1, 3, "PERSON"), Span(doc, 4, 6, "ORG"), Span(doc, 7, 8, "GPE")]
    set_relations(doc, [
        Relation(doc.ents[1], "HAS_ROLE", doc.ents[0]),
        Relation(doc.ents[1], "AFFILIATED_WITH", doc.ents[2]),
        Relation(doc.ents[2], "LOCATED_IN", doc.ents[3]),
    ])
    return doc


def make_nlp(max_distance: int = 60):
    nlp = spacy.blank("en")
    model = Config().from_str(TOK2VEC)["model"]
    nlp.add_pipe("relation_extractor", config={"max_distance": max_distance, "model": {
        "@architectures": "news_relations.RelationClassifier.v1", "hidden_width": 32, "dropout": 0.0, "n_entity_types": 6, "tok2vec": model}})
    return nlp


def test_candidates_follow_scheme_and_window():
    nlp = make_nlp()
    doc = make_doc(nlp.vocab)
    pipe = nlp.get_pipe("relation_extractor")
    pairs = {(doc[r[0]:r[1]].text, doc[r[2]:r[3]].text) for r in pipe.candidates(doc)}
    assert pairs == {
        ("Gulmurod Halimov", "Colonel"), ("Colonel", "Islamic State"), ("Colonel", "Syria"),
        ("Gulmurod Halimov", "Islamic State"), ("Gulmurod Halimov", "Syria"), ("Islamic State", "Syria"),
    }
    narrow = make_nlp(max_distance=0).get_pipe("relation_extractor")
    assert [(r[0], r[2]) for r in narrow.candidates(doc)] == [(1, 0)]


def test_candidates_cross_sentence_gap_counts_breaks():
    nlp = make_nlp()
    doc = Doc(nlp.vocab, words=["Halimov", "spoke", ".", "He", "left", "the", "army", "."])
    doc.ents = [Span(doc, 0, 1, "PERSON"), Span(doc, 6, 7, "ORG")]
    rows = nlp.get_pipe("relation_extractor").candidates(doc)
    assert len(rows) == 1 and rows[0][7] == 1  # one sentence break between the arguments


def test_scorer_hand_checked():
    nlp = spacy.blank("en")
    gold = make_doc(nlp.vocab)
    pred = make_doc(nlp.vocab)
    set_relations(pred, [Relation(pred.ents[1], "HAS_ROLE", pred.ents[0]), Relation(pred.ents[0], "ROLE_OF", pred.ents[3])])
    scores = score_relations([Example(pred, gold)])
    assert scores["rel_micro_p"] == pytest.approx(0.5)
    assert scores["rel_micro_r"] == pytest.approx(1 / 3)
    assert scores["rel_micro_f"] == pytest.approx(0.4)
    assert scores["rel_f_per_type"]["HAS_ROLE"]["f"] == pytest.approx(1.0)
    assert scores["rel_f_per_type"]["ROLE_OF"]["p"] == 0.0
    # A wrong entity label on an argument makes the relation wrong (strict).
    set_relations(pred, [Relation(Span(pred, 1, 3, "ORG"), "HAS_ROLE", pred.ents[0])])
    assert score_relations([Example(pred, gold)])["rel_micro_p"] == 0.0


def trained_nlp(n_iter: int = 60):
    nlp = make_nlp()
    examples = [Example(nlp.make_doc(make_doc(nlp.vocab).text), make_doc(nlp.vocab))]
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(n_iter):
        nlp.update(examples, sgd=optimizer)
    return nlp


def test_overfits_and_respects_constraints():
    nlp = trained_nlp()
    doc = make_doc(nlp.vocab)
    set_relations(doc, [])
    doc = nlp(doc)
    found = {(r.head.text, r.label, r.tail.text) for r in get_relations(doc)}
    assert found == {("Gulmurod Halimov", "HAS_ROLE", "Colonel"), ("Gulmurod Halimov", "AFFILIATED_WITH", "Islamic State"), ("Islamic State", "LOCATED_IN", "Syria")}
    pipe = nlp.get_pipe("relation_extractor")
    for rel in get_relations(doc):
        assert pipe.scheme.relation_type(rel.label).allows(rel.head.label_, rel.tail.label_)


def test_exclusive_labels_keep_only_the_best():
    pipe = make_nlp().get_pipe("relation_extractor")
    scores = numpy.zeros((1, len(pipe.labels)), dtype="f")
    scores[0, pipe.labels.index("HAS_ROLE")] = 0.7
    scores[0, pipe.labels.index("FORMER_ROLE")] = 0.9
    out = pipe._exclusive(scores)
    assert out[0, pipe.labels.index("HAS_ROLE")] == 0.0 and out[0, pipe.labels.index("FORMER_ROLE")] == pytest.approx(0.9)


def test_serialization_round_trip(tmp_path):
    nlp = trained_nlp(20)
    nlp.get_pipe("relation_extractor").set_thresholds({"LOCATED_IN": 0.35})
    nlp.to_disk(tmp_path / "m")
    loaded = spacy.load(tmp_path / "m")
    assert loaded.get_pipe("relation_extractor").thresholds["LOCATED_IN"] == pytest.approx(0.35)
    a, b = make_doc(nlp.vocab), make_doc(loaded.vocab)
    a, b = nlp(a), loaded(b)
    assert [(r.key(), round(r.score, 5)) for r in get_relations(a)] == [(r.key(), round(r.score, 5)) for r in get_relations(b)]


def test_batches_without_candidates(tmp_path):
    nlp = trained_nlp(2)
    docs = list(nlp.pipe(["No entities here.", "", "   "]))
    assert all(get_relations(d) == [] for d in docs)
    empty = nlp.make_doc("Nothing to relate.")
    losses = nlp.update([Example(nlp.make_doc(empty.text), empty)], sgd=None)
    assert losses["relation_extractor"] == 0.0


def test_gap_max_pool_values_and_gradient():
    from thinc.api import NumpyOps

    from news_relations.ml.relation_model import _gap_max

    ops = NumpyOps()
    flat = numpy.random.default_rng(0).normal(size=(7, 3)).astype("f")
    starts, ends = numpy.asarray([0, 2, 4, 5], dtype="i"), numpy.asarray([3, 2, 7, 6], dtype="i")
    out, backprop = _gap_max(ops, flat, starts, ends)
    for row, (s, e) in enumerate(zip(starts, ends)):
        expected = flat[s:e].max(axis=0) if e > s else numpy.zeros(3, dtype="f")
        numpy.testing.assert_allclose(out[row], expected)
    # The gradient reaches each row's arg-max token only, summed where gaps overlap; empty gaps send none.
    d_flat = backprop(numpy.ones_like(out))
    expected_grad = numpy.zeros_like(flat)
    for s, e in zip(starts, ends):
        if e > s:
            expected_grad[s + flat[s:e].argmax(axis=0), numpy.arange(3)] += 1.0
    numpy.testing.assert_allclose(d_flat, expected_grad)


def test_overfits_with_gap_max_pool():
    nlp = spacy.blank("en")
    model = Config().from_str(TOK2VEC)["model"]
    nlp.add_pipe("relation_extractor", config={"model": {
        "@architectures": "news_relations.RelationClassifier.v1", "hidden_width": 32, "dropout": 0.0, "n_entity_types": 6, "max_pool_gap": True, "tok2vec": model}})
    examples = [Example(make_doc(nlp.vocab), make_doc(nlp.vocab))]
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(60):
        nlp.update(examples, sgd=optimizer)
    doc = make_doc(nlp.vocab)
    set_relations(doc, [])
    found = {(r.head.text, r.label, r.tail.text) for r in get_relations(nlp(doc))}
    assert found == {("Gulmurod Halimov", "HAS_ROLE", "Colonel"), ("Gulmurod Halimov", "AFFILIATED_WITH", "Islamic State"), ("Islamic State", "LOCATED_IN", "Syria")}


def test_encoded_listener_trains_and_round_trips(tmp_path):
    """A relation-only encoder over the shared tok2vec: the listener is found, learns, and survives to_disk."""
    nlp = spacy.blank("en")
    nlp.add_pipe("tok2vec", config={"model": Config().from_str(TOK2VEC)["model"]})
    nlp.add_pipe("relation_extractor", config={"model": {
        "@architectures": "news_relations.RelationClassifier.v1", "hidden_width": 32, "dropout": 0.0, "n_entity_types": 6,
        "tok2vec": {"@architectures": "news_relations.EncodedTok2Vec.v1", "width": 32, "depth": 1, "window_size": 2, "maxout_pieces": 2,
                    "tok2vec": {"@architectures": "spacy.Tok2VecListener.v1", "width": 32, "upstream": "*"}}}})
    examples = [Example(make_doc(nlp.vocab), make_doc(nlp.vocab))]
    optimizer = nlp.initialize(lambda: examples)
    assert list(nlp.get_pipe("tok2vec").listener_map) == ["relation_extractor"]
    for _ in range(60):
        nlp.update(examples, sgd=optimizer)
    doc = make_doc(nlp.vocab)
    set_relations(doc, [])
    found = {(r.head.text, r.label, r.tail.text, round(r.score, 5)) for r in get_relations(nlp(doc))}
    assert {f[:3] for f in found} == {("Gulmurod Halimov", "HAS_ROLE", "Colonel"), ("Gulmurod Halimov", "AFFILIATED_WITH", "Islamic State"), ("Islamic State", "LOCATED_IN", "Syria")}
    nlp.to_disk(tmp_path / "m")
    loaded = spacy.load(tmp_path / "m")
    doc = make_doc(loaded.vocab)
    set_relations(doc, [])
    assert {(r.head.text, r.label, r.tail.text, round(r.score, 5)) for r in get_relations(loaded(doc))} == found


def test_implied_relations_follow_compositions_and_respect_explicit_labels():
    from news_relations.pipeline.relations import implied_relations
    from news_relations.schema import NEWS_SCHEME

    doc = Doc(spacy.blank("en").vocab, words=["Aminata", "Traore", ",", "the", "former", "chief", "of", "Acme", "and", "minister", "of", "Mali"])
    person, chief, acme, minister, mali = Span(doc, 0, 2, "PERSON"), Span(doc, 5, 6, "ROLE"), Span(doc, 7, 8, "ORG"), Span(doc, 9, 10, "ROLE"), Span(doc, 11, 12, "GPE")
    relations = [Relation(person, "FORMER_ROLE", chief, 0.9), Relation(chief, "ROLE_OF", acme, 0.6),
                 Relation(person, "HAS_ROLE", minister, 0.8), Relation(minister, "ROLE_OF", mali, 0.7)]
    implied = {(r.head.text, r.label, r.tail.text, r.score) for r in implied_relations(relations, NEWS_SCHEME)}
    assert implied == {("Aminata Traore", "FORMERLY_AFFILIATED_WITH", "Acme", 0.6), ("Aminata Traore", "AFFILIATED_WITH", "Mali", 0.7)}
    # An explicit prediction of the exclusive partner stands: nothing is implied for that pair.
    explicit = relations + [Relation(person, "AFFILIATED_WITH", acme, 0.55)]
    assert ("Aminata Traore", "FORMERLY_AFFILIATED_WITH", "Acme") not in {(r.head.text, r.label, r.tail.text) for r in implied_relations(explicit, NEWS_SCHEME)}

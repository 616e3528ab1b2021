"""brat and Prodigy conversion of the worked example, both directions."""
from collections import Counter

from spacy.tokens import DocBin

from news_relations.docs import get_clusters, get_relations
from news_relations.io.brat import format_ann, parse_ann
from news_relations.io.prodigy import doc_to_record, record_to_doc
from news_relations.io.spacy_docs import doc_to_annotated
from news_relations.schema import NEWS_SCHEME


def test_example_counts(example_ann):
    assert len(example_ann.entities) == 50
    assert len(example_ann.relations) == 17
    assert [len(e.ids) for e in example_ann.equivs] == [4, 5]


def test_example_to_doc_keeps_everything(example_doc):
    assert len(example_doc.ents) == 50
    rels = get_relations(example_doc)
    assert len(rels) == 17
    assert Counter(r.label for r in rels)["ROLE_OF"] == 5
    halimov = [r for r in rels if r.label == "FORMER_ROLE"][0]
    assert (halimov.head.text, halimov.tail.text) == ("Gulmurod Halimov", "head")
    clusters = get_clusters(example_doc)
    assert sorted(len(c) for c in clusters) == [4, 5]
    assert {s.text for s in clusters[0]} == {"Halimov", "Gulmurod Halimov"}


def test_docbin_round_trip(example_doc, nlp_blank):
    data = DocBin(docs=[example_doc], store_user_data=True).to_bytes()
    restored = list(DocBin().from_bytes(data).get_docs(nlp_blank.vocab))[0]
    assert [r.key() for r in get_relations(restored)] == [r.key() for r in get_relations(example_doc)]
    assert [[s.start_char for s in c] for c in get_clusters(restored)] == [[s.start_char for s in c] for c in get_clusters(example_doc)]


def test_brat_doc_brat_round_trip(example_doc, example_ann):
    back = doc_to_annotated(example_doc, example_ann.name)
    key = lambda d: sorted((e.label, e.start, e.end) for e in d.entities)  # noqa: E731
    assert key(back) == key(example_ann)
    ents = {e.id: e for e in example_ann.entities}
    back_ents = {e.id: e for e in back.entities}
    rel = lambda d, es: sorted((r.label, es[r.head].start, es[r.tail].start) for r in d.relations)  # noqa: E731
    assert rel(back, back_ents) == rel(example_ann, ents)
    reparsed, problems = parse_ann(format_ann(back), back.text, back.name, "x.ann")
    assert problems == [] and len(reparsed.entities) == 50 and len(reparsed.equivs) == 2


def test_prodigy_round_trip_gives_same_doc(example_doc, nlp_blank):
    record = doc_to_record(example_doc)
    assert record["relations"][0]["head"] == record["relations"][0]["head_span"]["token_end"]
    doc, problems = record_to_doc(record, nlp_blank.vocab, NEWS_SCHEME, "x", "x.jsonl", 1)
    assert problems == []
    assert [t.text for t in doc] == [t.text for t in example_doc]
    assert [(e.start, e.end, e.label_) for e in doc.ents] == [(e.start, e.end, e.label_) for e in example_doc.ents]
    assert sorted(r.key() for r in get_relations(doc)) == sorted(r.key() for r in get_relations(example_doc))

"""Doc extensions: `doc._.relations` and `doc._.clusters`, stored as plain data so DocBin keeps them."""
from typing import Iterable, List, NamedTuple, Sequence, Tuple

import numpy
from spacy.tokens import Doc, Span

RELATIONS_KEY = "news_relations.relations"
CLUSTERS_KEY = "news_relations.clusters"
# Token texts that end a sentence; any token holding a line break ends one too.
SENTENCE_END = frozenset({".", "!", "?"})


def sentence_end_flags(doc: Doc) -> numpy.ndarray:
    """1 for each token that ends a sentence (., !, ? or a line break), else 0; one lookup per distinct token."""
    if len(doc) == 0:
        return numpy.zeros(0, dtype="int64")
    unique, inverse = numpy.unique(doc.to_array("ORTH"), return_inverse=True)
    strings = doc.vocab.strings
    is_end = numpy.asarray([(text in SENTENCE_END or "\n" in text) for text in (strings[int(orth)] for orth in unique)], dtype="int64")
    return is_end[inverse.reshape(-1)]


class Relation(NamedTuple):
    """A relation between two entity spans of one Doc, with the model's score (1.0 for gold)."""

    head: Span
    label: str
    tail: Span
    score: float = 1.0

    def key(self) -> Tuple[int, int, str, int, int, str, str]:
        """Character offsets and labels: what strict scoring compares."""
        return (self.head.start_char, self.head.end_char, self.head.label_,
                self.tail.start_char, self.tail.end_char, self.tail.label_, self.label)

    def to_dict(self) -> dict:
        """A JSON-ready record of the relation."""
        return {
            "head": _span_dict(self.head),
            "label": self.label,
            "tail": _span_dict(self.tail),
            "score": round(float(self.score), 4),
        }


def _span_dict(span: Span) -> dict:
    return {"text": span.text, "label": span.label_, "start_char": span.start_char, "end_char": span.end_char,
            "start": span.start, "end": span.end}


def get_relations(doc: Doc) -> List[Relation]:
    """The relations stored on a Doc, as Relation tuples over Span objects."""
    rows = doc.user_data.get(RELATIONS_KEY, [])
    return [
        Relation(Span(doc, hs, he, label=hl), label, Span(doc, ts, te, label=tl), score)
        for hs, he, hl, ts, te, tl, label, score in rows
    ]


def set_relations(doc: Doc, relations: Iterable[Relation]) -> None:
    """Store relations on a Doc as plain rows (token offsets, labels, score)."""
    doc.user_data[RELATIONS_KEY] = [
        [r.head.start, r.head.end, r.head.label_, r.tail.start, r.tail.end, r.tail.label_, r.label, float(r.score)]
        for r in relations
    ]


def get_clusters(doc: Doc) -> List[List[Span]]:
    """Mention clusters (Equiv sets or predicted alias clusters), each a list of Spans."""
    rows = doc.user_data.get(CLUSTERS_KEY, [])
    return [[Span(doc, s, e, label=label) for s, e, label in cluster] for cluster in rows]


def set_clusters(doc: Doc, clusters: Sequence[Sequence[Span]]) -> None:
    """Store mention clusters on a Doc as plain rows."""
    doc.user_data[CLUSTERS_KEY] = [[[s.start, s.end, s.label_] for s in cluster] for cluster in clusters]


def register_extensions() -> None:
    """Register the Doc extensions once (idempotent)."""
    if not Doc.has_extension("relations"):
        Doc.set_extension("relations", getter=get_relations, setter=set_relations)
    if not Doc.has_extension("clusters"):
        Doc.set_extension("clusters", getter=get_clusters, setter=set_clusters)


register_extensions()

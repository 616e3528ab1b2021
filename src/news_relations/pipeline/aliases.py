"""Alias clusters (named mentions of one entity) and entity-level triples with evidence."""
import re
from typing import Callable, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

import numpy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.training import Example

from ..docs import Relation, get_clusters, get_relations, sentence_end_flags, set_clusters, set_relations

TRIPLES_KEY = "news_relations.triples"
STOPWORDS = frozenset({"of", "the", "for", "and", "al", "el", "de", "du", "des", "la", "le", "wal", "in", "on", "at", "to", "a"})
POSSESSIVE = re.compile(r"[’']s$")


class Triple(NamedTuple):
    """An entity-level fact: canonical head, relation label, canonical tail, score and evidence offsets."""

    head: str
    head_label: str
    label: str
    tail: str
    tail_label: str
    score: float
    evidence: Tuple[int, int]
    head_cluster: int
    tail_cluster: int

    def to_dict(self) -> dict:
        """A JSON-ready record."""
        return {"head": self.head, "head_label": self.head_label, "label": self.label, "tail": self.tail,
                "tail_label": self.tail_label, "score": round(float(self.score), 4),
                "evidence": {"start_char": self.evidence[0], "end_char": self.evidence[1]}}


def get_triples(doc: Doc) -> List[Triple]:
    """The entity-level triples stored on a Doc."""
    return [Triple(h, hl, label, t, tl, s, (es, ee), hc, tc) for h, hl, label, t, tl, s, es, ee, hc, tc in doc.user_data.get(TRIPLES_KEY, [])]


def set_triples(doc: Doc, triples: Iterable[Triple]) -> None:
    """Store triples as plain rows (DocBin keeps them)."""
    doc.user_data[TRIPLES_KEY] = [[t.head, t.head_label, t.label, t.tail, t.tail_label, float(t.score), t.evidence[0], t.evidence[1], t.head_cluster, t.tail_cluster] for t in triples]


if not Doc.has_extension("triples"):
    Doc.set_extension("triples", getter=get_triples, setter=set_triples)


def normalize(text: str) -> str:
    """Lowercase, without a leading 'the' or a trailing possessive, whitespace collapsed."""
    text = POSSESSIVE.sub("", " ".join(text.split())).lower()
    return text[4:] if text.startswith("the ") else text


def initials(text: str) -> str:
    """Upper-case initials of the content words ("Islamic State of Iraq and Syria" -> "ISIS")."""
    words = [w for w in re.split(r"[\s\-]+", text) if w]
    letters = [w[0] for w in words if w.lower() not in STOPWORDS and w[0].isalpha()]
    return "".join(letters).upper()


def is_acronym(text: str) -> bool:
    """All-caps token of 2+ letters (dots and digits allowed), e.g. ISIS, U.N., G7."""
    core = text.replace(".", "")
    return len(core) >= 2 and core.isupper() and " " not in text


def cluster_mentions(doc: Doc, mentions: Sequence[Span], labels: Iterable[str]) -> List[List[Span]]:
    """Group mentions of one entity: same normalized name, surname of a full name, acronym of a name."""
    labels = set(labels)
    mentions = sorted((m for m in mentions if m.label_ in labels), key=lambda s: s.start)
    texts = [m.text for m in mentions]  # once each: Span.text walks the span's tokens
    parent = list(range(len(mentions)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        parent[find(j)] = find(i)

    by_name: Dict[Tuple[str, str], int] = {}
    for i, m in enumerate(mentions):
        key = (m.label_, normalize(texts[i]))
        if key in by_name:
            union(by_name[key], i)
        else:
            by_name[key] = i
    lookup = _alias_lookup(mentions, texts)
    for i in range(len(mentions)):
        j = _alias_target(doc, mentions, texts, i, lookup)
        if j is not None:
            union(j, i)
    groups: Dict[int, List[Span]] = {}
    for i, m in enumerate(mentions):
        groups.setdefault(find(i), []).append(m)
    return list(groups.values())


def _alias_lookup(mentions: Sequence[Span], texts: Sequence[str]) -> Dict[Tuple, List[int]]:
    """Index of mentions by (label, last k words) for k < their length, and by (label, initials)."""
    lookup: Dict[Tuple, List[int]] = {}
    for j, (m, text) in enumerate(zip(mentions, texts)):
        words = normalize(text).split()
        for k in range(1, len(words)):
            lookup.setdefault((m.label_, "tail", tuple(words[-k:])), []).append(j)
        lookup.setdefault((m.label_, "initials", initials(text)), []).append(j)
    return lookup


def _alias_target(doc: Doc, mentions: Sequence[Span], texts: Sequence[str], i: int, lookup: Dict[Tuple, List[int]]) -> Optional[int]:
    """The longer mention that mention i abbreviates: nearest preceding first, then nearest following."""
    m, text = mentions[i], texts[i]
    found: List[int] = []
    if m.label_ == "PERSON":
        found += lookup.get((m.label_, "tail", tuple(normalize(text).split())), [])
    if is_acronym(text):
        found += lookup.get((m.label_, "initials", text.replace(".", "").upper()), [])
        if i > 0 and mentions[i - 1].label_ == m.label_ and _in_parentheses_after(doc, mentions[i - 1], m):
            found.append(i - 1)
    found = [j for j in found if j != i and len(mentions[j]) > len(m)]
    before = [j for j in found if j < i]
    after = [j for j in found if j > i]
    if before:
        return max(before)
    return min(after) if after else None


def _in_parentheses_after(doc: Doc, name: Span, acronym: Span) -> bool:
    """'Name (ACR)': the acronym in brackets right after the name."""
    return acronym.start == name.end + 1 and name.end < len(doc) and doc[name.end].text in ("(", "[")


def complete_gold_clusters(doc: Doc, clusters: Sequence[Sequence[Span]], labels: Iterable[str]) -> List[List[Span]]:
    """Annotated Equiv clusters, merged with mentions of the same label and normalized name (one entity)."""
    labels = set(labels)
    groups: List[List[Span]] = [list(c) for c in clusters]
    home: Dict[Tuple[str, str], int] = {}
    for k, cluster in enumerate(groups):
        for span in cluster:
            home.setdefault((span.label_, normalize(span.text)), k)
    placed = {(s.start, s.end) for c in groups for s in c}
    for ent in doc.ents:
        if ent.label_ not in labels or (ent.start, ent.end) in placed:
            continue
        key = (ent.label_, normalize(ent.text))
        if key in home:
            groups[home[key]].append(ent)
        else:
            home[key] = len(groups)
            groups.append([ent])
    return groups


def canonical_name(cluster: Sequence[Span]) -> str:
    """The longest non-acronym mention (first in text among equals), else the first mention."""
    texts = [(s.text, s.start) for s in cluster]
    names = [t for t in texts if not is_acronym(t[0])] or texts
    return max(names, key=lambda t: (len(t[0]), -t[1]))[0]


class SentenceBounds:
    """Token indices that end a sentence (. ! ? or a line break) and whitespace flags of one Doc."""

    def __init__(self, doc: Doc):
        self.n = len(doc)
        self.ends = numpy.flatnonzero(sentence_end_flags(doc)).astype("i")
        self.space = doc.to_array("IS_SPACE").astype(bool).tolist() if len(doc) else []


def evidence_span(doc: Doc, relation: Relation, bounds: Optional[SentenceBounds] = None) -> Tuple[int, int]:
    """Character offsets of the sentence or sentences that hold both arguments."""
    bounds = bounds or SentenceBounds(doc)
    first, second = sorted((relation.head, relation.tail), key=lambda s: s.start)
    k = int(numpy.searchsorted(bounds.ends, first.start))  # first sentence end at or after first.start
    start = int(bounds.ends[k - 1]) + 1 if k > 0 else 0
    k = int(numpy.searchsorted(bounds.ends, second.end - 1))
    end = int(bounds.ends[k]) + 1 if k < len(bounds.ends) else bounds.n
    while start < end and bounds.space[start]:
        start += 1
    while end > start and bounds.space[end - 1]:
        end -= 1
    return doc[start].idx, doc[end - 1].idx + len(doc[end - 1].text)


def entity_index(doc: Doc, clusters: Sequence[Sequence[Span]]) -> Dict[Tuple[int, int], int]:
    """Map each clustered mention (token start, end) to its cluster number."""
    return {(s.start, s.end): k for k, cluster in enumerate(clusters) for s in cluster}


def entity_key(index: Dict[Tuple[int, int], int], span: Span):
    """The entity a mention belongs to: its cluster number, or the mention itself when unclustered."""
    k = index.get((span.start, span.end))
    return k if k is not None else ("m", span.start)


def one_relation_per_entity_pair(relations: Sequence[Relation], clusters: Sequence[Sequence[Span]], doc: Doc) -> List[Relation]:
    """Keep, per (head entity, label, tail entity), the best-scoring mention pair (the annotation convention)."""
    index = entity_index(doc, clusters)
    best: Dict[Tuple, Relation] = {}
    for rel in relations:
        key = (entity_key(index, rel.head), rel.label, entity_key(index, rel.tail))
        if key not in best or rel.score > best[key].score:
            best[key] = rel
    kept = set(map(id, best.values()))
    return [r for r in relations if id(r) in kept]


def build_triples(doc: Doc, relations: Sequence[Relation], clusters: Sequence[Sequence[Span]]) -> List[Triple]:
    """One triple per (head entity, label, tail entity): best score, evidence of that mention pair."""
    index = entity_index(doc, clusters)
    names = [canonical_name(c) for c in clusters]
    bounds = SentenceBounds(doc) if relations else None
    best: Dict[Tuple, Triple] = {}
    for rel in relations:
        h = index.get((rel.head.start, rel.head.end))
        t = index.get((rel.tail.start, rel.tail.end))
        head = names[h] if h is not None else rel.head.text
        tail = names[t] if t is not None else rel.tail.text
        # Unclustered mentions (titles) are entities of their own: keyed by position.
        h_key = h if h is not None else ("m", rel.head.start)
        t_key = t if t is not None else ("m", rel.tail.start)
        key = (h_key, rel.label, t_key)
        triple = Triple(head, rel.head.label_, rel.label, tail, rel.tail.label_, rel.score, evidence_span(doc, rel, bounds),
                        -1 if h is None else h, -1 if t is None else t)
        if key not in best or triple.score > best[key].score:
            best[key] = triple
    return sorted(best.values(), key=lambda tr: tr.evidence)


@Language.factory(
    "alias_clusters",
    assigns=["doc._.clusters", "doc._.triples"],
    requires=["doc.ents"],
    default_config={"labels": ["PERSON", "ORG", "GPE", "LOC", "NORP"], "dedupe_relations": True, "scorer": {"@scorers": "news_relations.triple_scorer.v1"}},
    default_score_weights={"triple_f": 0.0, "cluster_b3_f": 0.0},
)
def make_alias_clusters(nlp: Language, name: str, labels: List[str], dedupe_relations: bool, scorer: Optional[Callable]) -> "AliasClusters":
    """Create the alias clustering step (rule-based, no weights)."""
    return AliasClusters(name, labels=labels, dedupe_relations=dedupe_relations, scorer=scorer)


class AliasClusters:
    """Clusters named mentions of one entity and turns mention relations into entity-level triples."""

    def __init__(self, name: str = "alias_clusters", *, labels: Sequence[str], dedupe_relations: bool = True, scorer: Optional[Callable] = None):
        self.name = name
        self.labels = list(labels)
        self.dedupe_relations = dedupe_relations
        self.scorer = scorer

    def __call__(self, doc: Doc) -> Doc:
        clusters = cluster_mentions(doc, list(doc.ents), self.labels)
        set_clusters(doc, clusters)
        relations = get_relations(doc)
        if self.dedupe_relations:
            relations = one_relation_per_entity_pair(relations, clusters, doc)
            set_relations(doc, relations)
        set_triples(doc, build_triples(doc, relations, clusters))
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterable[Doc]:
        for doc in docs:
            yield self(doc)

    def score(self, examples: Iterable[Example], **kwargs) -> Dict[str, object]:
        return self.scorer(examples, labels=self.labels) if self.scorer else {}


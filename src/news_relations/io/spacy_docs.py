"""AnnotatedText <-> spaCy Doc: entities, relations and Equiv clusters."""
from typing import Dict, List, Optional, Tuple

from spacy.language import Language
from spacy.tokens import Doc, Span

from ..docs import Relation, set_clusters, set_relations
from .annotations import AnnotatedText, AnnotationError, EntityAnn, EquivAnn, Problem, RelationAnn


def annotated_to_doc(nlp: Language, ann: AnnotatedText, path: str, strict: bool = True) -> Tuple[Optional[Doc], List[Problem]]:
    """Tokenize the text and place entities, relations and clusters; misaligned spans are problems."""
    doc = nlp.make_doc(ann.text)
    return place_annotations(doc, ann, path, strict)


def place_annotations(doc: Doc, ann: AnnotatedText, path: str, strict: bool = True) -> Tuple[Optional[Doc], List[Problem]]:
    """Put the annotations of `ann` on a Doc of the same text."""
    problems: List[Problem] = []
    spans: Dict[str, Span] = {}
    for ent in ann.entities:
        span = doc.char_span(ent.start, ent.end, label=ent.label)
        if span is None:
            problems.append(Problem(path, ent.line, f"entity {ent.id} '{ent.surface}' ({ent.start}-{ent.end}) does not fall on token boundaries: {_tokens_around(doc, ent)}", (ent.id,)))
            continue
        spans[ent.id] = span
    if strict and problems:
        raise AnnotationError(problems)
    doc.ents = sorted(spans.values(), key=lambda s: s.start)
    relations = []
    for rel in ann.relations:
        if rel.head in spans and rel.tail in spans:
            relations.append(Relation(spans[rel.head], rel.label, spans[rel.tail], 1.0))
        else:
            problems.append(Problem(path, rel.line, f"relation {rel.id} dropped: an argument was not placed", (rel.id,)))
    set_relations(doc, relations)
    clusters = [[spans[i] for i in eq.ids if i in spans] for eq in ann.equivs]
    set_clusters(doc, [c for c in clusters if len(c) > 1])
    doc.user_data["news_relations.doc_id"] = ann.name
    doc.user_data["news_relations.meta"] = dict(ann.meta)
    return doc, problems


def _tokens_around(doc: Doc, ent: EntityAnn) -> str:
    toks = [t.text for t in doc if t.idx < ent.end and t.idx + len(t) > ent.start]
    return "tokens " + " | ".join(repr(t) for t in toks)


def doc_to_annotated(doc: Doc, name: str) -> AnnotatedText:
    """A Doc back to format-neutral annotations, with T ids in text order."""
    from ..docs import get_clusters, get_relations

    ids: Dict[Tuple[int, int], str] = {}
    entities = []
    for i, ent in enumerate(doc.ents, start=1):
        ids[(ent.start_char, ent.end_char)] = f"T{i}"
        entities.append(EntityAnn(f"T{i}", ent.label_, ent.start_char, ent.end_char, ent.text))
    relations = [
        RelationAnn(f"R{i}", r.label, ids[(r.head.start_char, r.head.end_char)], ids[(r.tail.start_char, r.tail.end_char)])
        for i, r in enumerate(get_relations(doc), start=1)
    ]
    equivs = [EquivAnn([ids[(s.start_char, s.end_char)] for s in cluster]) for cluster in get_clusters(doc)]
    meta = dict(doc.user_data.get("news_relations.meta", {}))
    return AnnotatedText(name, doc.text, entities, relations, equivs, meta)

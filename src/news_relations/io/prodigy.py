"""Prodigy `rel.manual` JSONL: tokens, spans and relations with head/child token indices."""
import json
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

from spacy.tokens import Doc

from ..docs import get_relations
from ..schema import LabelScheme
from .annotations import AnnotatedText, AnnotationError, EntityAnn, Problem, RelationAnn, check_annotations
from .spacy_docs import place_annotations

ACCEPT = "accept"


def record_to_annotated(record: dict, name: str, path: str, line: int) -> Tuple[AnnotatedText, List[Problem]]:
    """One accepted Prodigy record as format-neutral annotations (entity ids from token offsets)."""
    text = record["text"]
    entities: List[EntityAnn] = []
    by_token: Dict[int, str] = {}
    problems: List[Problem] = []
    for span in record.get("spans", []):
        eid = f"T{len(entities) + 1}"
        entities.append(EntityAnn(eid, span["label"], span["start"], span["end"], text[span["start"]:span["end"]], line))
        by_token[span["token_end"]] = eid
        by_token.setdefault(span["token_start"], eid)
    relations: List[RelationAnn] = []
    for rel in record.get("relations", []):
        head = _span_id(rel, "head", by_token, entities)
        tail = _span_id(rel, "child", by_token, entities)
        rid = f"R{len(relations) + 1}"
        if head is None or tail is None:
            problems.append(Problem(path, line, f"relation {rel.get('label')} ({rid}) points at a token that starts or ends no span", (rid,)))
            continue
        relations.append(RelationAnn(rid, rel["label"], head, tail, line))
    return AnnotatedText(name, text, entities, relations, meta=dict(record.get("meta", {}) or {})), problems


def _span_id(rel: dict, role: str, by_token: Dict[int, str], entities: List[EntityAnn]):
    """The entity id a relation argument names: by its span offsets where given, else by token."""
    span = rel.get(f"{role}_span")
    if span:
        for ent in entities:
            if ent.start == span["start"] and ent.end == span["end"]:
                return ent.id
    return by_token.get(rel[role])


def record_to_doc(record: dict, vocab, scheme: LabelScheme, name: str, path: str, line: int, strict: bool = True):
    """A Doc with Prodigy's own tokens (words and whitespace), carrying its spans and relations."""
    tokens = record["tokens"]
    words = [t["text"] for t in tokens]
    spaces = [t.get("ws", True) for t in tokens]
    doc = Doc(vocab, words=words, spaces=spaces)
    ann, problems = record_to_annotated(record, name, path, line)
    problems += check_annotations(ann, scheme, path)
    if doc.text != record["text"]:
        problems.append(Problem(path, line, "tokens do not reproduce the text (check 'ws' flags)"))
    if strict and problems:
        raise AnnotationError(problems)
    doc, placed = place_annotations(doc, ann, path, strict)
    return doc, problems + placed


def read_prodigy(path: Path, vocab, scheme: LabelScheme, strict: bool = True) -> Tuple[List[Doc], List[Problem], Dict[str, int]]:
    """Read accepted records; rejected and ignored ones are skipped and counted, never silently."""
    docs: List[Doc] = []
    problems: List[Problem] = []
    skipped: Dict[str, int] = {}
    for lineno, record in _iter_jsonl(path, problems):
        answer = record.get("answer", ACCEPT)
        if answer != ACCEPT:
            skipped[answer] = skipped.get(answer, 0) + 1
            continue
        name = str(record.get("meta", {}).get("id") or f"{path.stem}_{lineno}")
        doc, found = record_to_doc(record, vocab, scheme, name, str(path), lineno, strict=False)
        problems += found
        if doc is not None:
            docs.append(doc)
    if strict and problems:
        raise AnnotationError(problems)
    return docs, problems, skipped


def _iter_jsonl(path: Path, problems: List[Problem]) -> Iterator[Tuple[int, dict]]:
    for lineno, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if not line.strip():
            continue
        try:
            yield lineno, json.loads(line)
        except json.JSONDecodeError as err:
            problems.append(Problem(str(path), lineno, f"invalid JSON: {err.msg} at column {err.colno}"))


def doc_to_record(doc: Doc) -> dict:
    """A Doc as a Prodigy rel.manual record (token_end inclusive, as Prodigy writes it)."""
    tokens = [{"text": t.text, "start": t.idx, "end": t.idx + len(t), "id": t.i, "ws": bool(t.whitespace_)} for t in doc]
    spans = [_prodigy_span(e) for e in doc.ents]
    relations = [
        {"head": r.head.end - 1, "child": r.tail.end - 1, "head_span": _prodigy_span(r.head),
         "child_span": _prodigy_span(r.tail), "label": r.label}
        for r in get_relations(doc)
    ]
    return {"text": doc.text, "tokens": tokens, "spans": spans, "relations": relations, "answer": ACCEPT,
            "meta": {"id": doc.user_data.get("news_relations.doc_id", "")}}


def _prodigy_span(span) -> dict:
    return {"start": span.start_char, "end": span.end_char, "token_start": span.start,
            "token_end": span.end - 1, "label": span.label_}

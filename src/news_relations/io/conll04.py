"""CoNLL04 (SpERT split, BILOU-tag JSON) -> Docs on the dataset's own tokens, with ents and relations."""
import json
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from ..docs import Relation, set_relations
from ..schema import LabelScheme
from .annotations import AnnotationError, Problem

DOC_ID_KEY = "news_relations.doc_id"
EntityTuple = Tuple[int, int, str]


def bilou_spans(tags: Sequence[str]) -> Tuple[List[EntityTuple], List[str]]:
    """(start, end, label) token spans from BILOU tags, in order, and messages for malformed tags."""
    spans: List[EntityTuple] = []
    errors: List[str] = []
    open_at: Optional[Tuple[int, str]] = None
    for i, tag in enumerate(tags):
        prefix, _, label = tag.partition("-")
        if prefix not in ("B", "I", "L", "U", "O") or (prefix != "O" and not label):
            errors.append(f"token {i}: unknown tag {tag!r}")
            open_at = None
            continue
        if prefix in ("I", "L") and (open_at is None or open_at[1] != label):
            errors.append(f"token {i}: {tag!r} does not continue an open {label} entity")
            open_at = None
            continue
        if prefix in ("B", "U", "O") and open_at is not None:
            errors.append(f"token {i}: entity opened at token {open_at[0]} is never closed by L-{open_at[1]}")
            open_at = None
        if prefix == "B":
            open_at = (i, label)
        elif prefix == "L":
            spans.append((open_at[0], i + 1, label))
            open_at = None
        elif prefix == "U":
            spans.append((i, i + 1, label))
    if open_at is not None:
        errors.append(f"end of sentence: entity opened at token {open_at[0]} is never closed by L-{open_at[1]}")
    return spans, errors


def record_to_doc(record: dict, vocab: Vocab, scheme: LabelScheme, where: Tuple[str, int]) -> Tuple[Optional[Doc], List[Problem]]:
    """One JSON record -> a Doc on its tokens with ents and relations; None and the problems if it is malformed."""
    path, index = where
    problem = lambda msg: Problem(path, index, f"record {index} (orig_id {record.get('orig_id')}): {msg}")  # noqa: E731
    tokens, tags = record.get("tokens"), record.get("tags")
    if not isinstance(tokens, list) or not isinstance(tags, list) or len(tokens) != len(tags) or not tokens:
        return None, [problem("needs non-empty 'tokens' and 'tags' lists of equal length")]
    spans, errors = bilou_spans(tags)
    problems = [problem(e) for e in errors]
    problems += [problem(f"entity label {lab!r} (tokens {s}-{e}) is not in scheme '{scheme.name}'")
                 for s, e, lab in spans if lab not in scheme.entity_labels]
    doc = Doc(vocab, words=[str(t) for t in tokens])
    ents = [Span(doc, s, e, label=lab) for s, e, lab in spans]
    relations = []
    for k, rel in enumerate(record.get("relations", [])):
        head, tail, label = rel.get("head"), rel.get("tail"), rel.get("type")
        if not all(isinstance(x, int) and 0 <= x < len(ents) for x in (head, tail)):
            problems.append(problem(f"relation {k}: head {head!r} / tail {tail!r} must index one of its {len(ents)} entities"))
            continue
        rtype = scheme.relation_type(label)
        if rtype is None:
            problems.append(problem(f"relation {k}: label {label!r} is not in scheme '{scheme.name}'"))
        elif not rtype.allows(ents[head].label_, ents[tail].label_):
            problems.append(problem(f"relation {k}: {label} does not allow {ents[head].label_} -> {ents[tail].label_}"))
        else:
            relations.append(Relation(ents[head], label, ents[tail]))
    if problems:
        return None, problems
    doc.ents = ents
    set_relations(doc, relations)
    doc.user_data[DOC_ID_KEY] = f"conll04:{record.get('orig_id', index)}"
    return doc, []


def read_conll04(path: Path, vocab: Vocab, scheme: LabelScheme, strict: bool = True) -> Tuple[List[Doc], List[Problem]]:
    """All records of a CoNLL04 JSON file as Docs; strict: raise listing every problem, else skip bad records."""
    try:
        records = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise AnnotationError([Problem(str(path), 0, f"cannot read a JSON list: {err}")])
    if not isinstance(records, list):
        raise AnnotationError([Problem(str(path), 0, "expected a JSON list of sentence records")])
    docs, problems = [], []
    for index, record in enumerate(records):
        doc, found = record_to_doc(record if isinstance(record, dict) else {}, vocab, scheme, (str(path), index))
        problems += found
        if doc is not None:
            docs.append(doc)
    if strict and problems:
        raise AnnotationError(problems)
    return docs, problems

"""Inline markup for annotators: `[[surface|LABEL|id]]` in the text, relations and Equiv lines below `@@@`.

Nobody types character offsets: this module computes them and hands the result to the brat checks.

    [[Colonel|ROLE|col]] [[Gulmurod Halimov|PERSON|halimov]], the former [[head|ROLE|head1]] of ...
    @@@
    meta form=wire topic=security region=central_asia
    HAS_ROLE halimov col
    = halimov halimov2
"""
import re
from pathlib import Path
from typing import Dict, List, Tuple

from ..schema import LabelScheme
from .annotations import AnnotatedText, EntityAnn, EquivAnn, Problem, RelationAnn, check_annotations

MARKUP = re.compile(r"\[\[([^\[\]|]+?)\|([A-Za-z_]+)(?:\|([A-Za-z0-9_]+))?\]\]")
SEPARATOR = "@@@"


def parse_inline(source: str, name: str, path: str, scheme: LabelScheme) -> Tuple[AnnotatedText, List[Problem]]:
    """Parse one inline-annotated article into an AnnotatedText with brat ids and checked offsets."""
    lines = source.split("\n")
    if SEPARATOR not in lines:
        body_lines, ann_lines = lines, []
    else:
        cut = lines.index(SEPARATOR)
        body_lines, ann_lines = lines[:cut], lines[cut + 1 :]
    text, entities, problems, names = _parse_body(body_lines, path)
    doc = AnnotatedText(name=name, text=text, entities=entities)
    ann_offset = len(body_lines) + 1
    for i, raw in enumerate(ann_lines, start=ann_offset + 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if parts[0] == "meta":
            doc.meta.update(dict(p.split("=", 1) for p in parts[1:] if "=" in p))
        elif parts[0] == "=":
            ids = [names.get(p, p) for p in parts[1:]]
            problems += [Problem(path, i, f"Equiv names unknown mention id '{p}'") for p in parts[1:] if p not in names]
            doc.equivs.append(EquivAnn(ids, i))
        elif len(parts) == 3:
            label, head, tail = parts
            unknown = [p for p in (head, tail) if p not in names]
            if unknown:
                problems.append(Problem(path, i, f"relation {label} names unknown mention id(s) {', '.join(unknown)}"))
                continue
            doc.relations.append(RelationAnn(f"R{len(doc.relations) + 1}", label, names[head], names[tail], i))
        else:
            problems.append(Problem(path, i, f"cannot parse annotation line {line!r}: expected 'LABEL head_id tail_id', '= id id ...' or 'meta k=v'"))
    problems += [p for p in check_annotations(doc, scheme, path) if "unknown mention" not in p.message]
    return doc, problems


def _parse_body(body_lines: List[str], path: str) -> Tuple[str, List[EntityAnn], List[Problem], Dict[str, str]]:
    """Strip the markup, returning the plain text, the entities and a map from mention ids to T ids."""
    pieces: List[str] = []
    entities: List[EntityAnn] = []
    problems: List[Problem] = []
    names: Dict[str, str] = {}
    offset = 0
    for lineno, line in enumerate(body_lines, start=1):
        pos = 0
        for m in MARKUP.finditer(line):
            pieces.append(line[pos : m.start()])
            offset += m.start() - pos
            surface, label, mention_id = m[1], m[2], m[3]
            tid = f"T{len(entities) + 1}"
            entities.append(EntityAnn(tid, label, offset, offset + len(surface), surface, lineno))
            if mention_id:
                if mention_id in names:
                    problems.append(Problem(path, lineno, f"mention id '{mention_id}' used twice", (tid,)))
                names[mention_id] = tid
            pieces.append(surface)
            offset += len(surface)
            pos = m.end()
        rest = line[pos:]
        if "[[" in rest or "]]" in rest:
            problems.append(Problem(path, lineno, f"unbalanced or malformed markup near {rest[rest.find('[[') if '[[' in rest else 0:][:40]!r}: write [[surface|LABEL]] or [[surface|LABEL|id]]"))
        pieces.append(rest + "\n")
        offset += len(rest) + 1
    text = "".join(pieces).rstrip("\n") + "\n"
    return text, entities, problems, names


def read_inline(path: Path, scheme: LabelScheme) -> Tuple[AnnotatedText, List[Problem]]:
    """Read an inline-annotated file (NAME.md); the document is named after the file stem."""
    return parse_inline(path.read_text(encoding="utf-8"), path.stem, str(path), scheme)


def to_inline(doc: AnnotatedText) -> str:
    """Render a document as inline markup (every mention gets its T id as mention id)."""
    parts: List[str] = []
    pos = 0
    for ent in sorted(doc.entities, key=lambda e: e.start):
        parts.append(doc.text[pos : ent.start])
        parts.append(f"[[{ent.surface}|{ent.label}|{ent.id}]]")
        pos = ent.end
    parts.append(doc.text[pos:])
    lines = ["".join(parts).rstrip("\n"), SEPARATOR]
    if doc.meta:
        lines.append("meta " + " ".join(f"{k}={v}" for k, v in sorted(doc.meta.items())))
    lines += [f"{r.label} {r.head} {r.tail}" for r in doc.relations]
    lines += ["= " + " ".join(eq.ids) for eq in doc.equivs]
    return "\n".join(lines) + "\n"

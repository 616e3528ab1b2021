"""Format-neutral annotated documents, the problems found in them and the checks every reader applies."""
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple

from ..schema import LabelScheme


@dataclass
class Problem:
    """One thing wrong with an input file: where it is and what is wrong."""

    path: str
    line: int
    message: str
    # The annotation ids the problem invalidates (dropped in lenient mode); empty: the whole file.
    ids: Tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class AnnotationError(ValueError):
    """Raised in strict mode, listing every problem found rather than only the first."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} annotation problem(s):\n{lines}")


@dataclass
class EntityAnn:
    """An entity mention: a labelled character span."""

    id: str
    label: str
    start: int
    end: int
    surface: str
    line: int = 0


@dataclass
class RelationAnn:
    """A directed relation between two entity mentions."""

    id: str
    label: str
    head: str
    tail: str
    line: int = 0


@dataclass
class EquivAnn:
    """A cluster of mentions of one real-world entity."""

    ids: List[str]
    line: int = 0


@dataclass
class AnnotatedText:
    """A text with entity, relation and Equiv annotations, as any of the readers produce it."""

    name: str
    text: str
    entities: List[EntityAnn] = field(default_factory=list)
    relations: List[RelationAnn] = field(default_factory=list)
    equivs: List[EquivAnn] = field(default_factory=list)
    meta: Dict[str, str] = field(default_factory=dict)

    def entity_by_id(self) -> Dict[str, EntityAnn]:
        """Entities keyed by id (the first one wins where ids repeat)."""
        found: Dict[str, EntityAnn] = {}
        for ent in self.entities:
            found.setdefault(ent.id, ent)
        return found

    def cluster_of(self) -> Dict[str, str]:
        """Map each entity id to a cluster key: the first id of its Equiv cluster, else itself."""
        key = {ent.id: ent.id for ent in self.entities}
        for equiv in self.equivs:
            root = equiv.ids[0]
            for eid in equiv.ids:
                key[eid] = root
        return key


def read_text_file(path: Path, problems: List[Problem]) -> Optional[str]:
    """Read a UTF-8 text file, reporting invalid bytes, a BOM and Windows line endings."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        problems.append(Problem(str(path), line, f"invalid UTF-8 at byte {err.start}: {err.reason}"))
        return None
    if text.startswith("\ufeff"):
        problems.append(Problem(str(path), 1, "file starts with a byte-order mark (BOM): save it as UTF-8 without BOM"))
        return None
    if "\r" in text:
        line = text[: text.index("\r")].count("\n") + 1
        problems.append(Problem(str(path), line, "Windows (CRLF) or CR line ending: offsets are defined over LF text"))
        return None
    return text


def check_annotations(doc: AnnotatedText, scheme: LabelScheme, path: str) -> List[Problem]:
    """Every problem with the annotations of one document, each naming the line and the ids it breaks."""
    problems: List[Problem] = []
    problems += _check_entities(doc, scheme, path)
    problems += _check_relations(doc, scheme, path)
    problems += _check_equivs(doc, scheme, path)
    return problems


def _check_entities(doc: AnnotatedText, scheme: LabelScheme, path: str) -> List[Problem]:
    problems: List[Problem] = []
    seen: Set[str] = set()
    placed: List[EntityAnn] = []
    for ent in doc.entities:
        if ent.id in seen:
            problems.append(Problem(path, ent.line, f"duplicate id {ent.id}", (ent.id,)))
            continue
        seen.add(ent.id)
        if ent.label not in scheme.entity_labels:
            problems.append(Problem(path, ent.line, f"unknown entity label '{ent.label}' on {ent.id} (scheme '{scheme.name}': {', '.join(scheme.entity_labels)})", (ent.id,)))
            continue
        if not 0 <= ent.start < ent.end <= len(doc.text):
            problems.append(Problem(path, ent.line, f"offsets {ent.start}-{ent.end} of {ent.id} out of range (text has {len(doc.text)} characters)", (ent.id,)))
            continue
        actual = doc.text[ent.start : ent.end]
        if actual != ent.surface:
            problems.append(Problem(path, ent.line, f"surface '{ent.surface}' of {ent.id} does not match the text at {ent.start}-{ent.end}: '{actual}'", (ent.id,)))
            continue
        if "\n" in actual:
            problems.append(Problem(path, ent.line, f"entity {ent.id} '{actual}' crosses a line break", (ent.id,)))
            continue
        if actual != actual.strip():
            problems.append(Problem(path, ent.line, f"entity {ent.id} '{actual}' starts or ends with whitespace", (ent.id,)))
            continue
        placed.append(ent)
    placed.sort(key=lambda e: (e.start, -e.end))
    for before, after in zip(placed, placed[1:]):
        if after.start < before.end:
            kind = "nested in" if after.end <= before.end else "overlaps"
            problems.append(Problem(path, after.line, f"entity {after.id} '{after.surface}' {kind} {before.id} '{before.surface}' (line {before.line})", (after.id,)))
    return problems


def _check_relations(doc: AnnotatedText, scheme: LabelScheme, path: str) -> List[Problem]:
    problems: List[Problem] = []
    ents = doc.entity_by_id()
    cluster = doc.cluster_of()
    seen_ids: Set[str] = set()
    by_pair: Dict[Tuple[str, str], List[RelationAnn]] = {}
    for rel in doc.relations:
        if rel.id in seen_ids:
            problems.append(Problem(path, rel.line, f"duplicate id {rel.id}", (rel.id,)))
            continue
        seen_ids.add(rel.id)
        rtype = scheme.relation_type(rel.label)
        if rtype is None:
            problems.append(Problem(path, rel.line, f"unknown relation label '{rel.label}' on {rel.id} (scheme '{scheme.name}': {', '.join(scheme.relation_labels)})", (rel.id,)))
            continue
        missing = [arg for arg in (rel.head, rel.tail) if arg not in ents]
        if missing:
            problems.append(Problem(path, rel.line, f"relation {rel.id} names missing entity id(s) {', '.join(missing)}", (rel.id,)))
            continue
        head, tail = ents[rel.head], ents[rel.tail]
        if not rtype.allows(head.label, tail.label):
            problems.append(Problem(path, rel.line, f"relation {rel.id} {rel.label}({head.label} '{head.surface}', {tail.label} '{tail.surface}') breaks the scheme: head must be {'/'.join(sorted(rtype.heads))}, tail {'/'.join(sorted(rtype.tails))}", (rel.id,)))
            continue
        if rel.head == rel.tail:
            problems.append(Problem(path, rel.line, f"relation {rel.id} relates {rel.head} to itself", (rel.id,)))
            continue
        by_pair.setdefault((cluster[rel.head], cluster[rel.tail]), []).append(rel)
    for rels in by_pair.values():
        labels = [r.label for r in rels]
        for i, rel in enumerate(rels):
            earlier = labels[:i]
            if rel.label in earlier:
                problems.append(Problem(path, rel.line, f"relation {rel.id} {rel.label} repeats one already stated for the same pair of entities (one relation per pair per document)", (rel.id,)))
            clash = [lab for lab in scheme.exclusive_partners(rel.label) if lab in earlier]
            if clash:
                problems.append(Problem(path, rel.line, f"relation {rel.id} {rel.label} contradicts {clash[0]} for the same pair of entities (current and former are exclusive)", (rel.id,)))
    return problems


def _check_equivs(doc: AnnotatedText, scheme: LabelScheme, path: str) -> List[Problem]:
    problems: List[Problem] = []
    ents = doc.entity_by_id()
    member_of: Dict[str, int] = {}
    for equiv in doc.equivs:
        missing = [eid for eid in equiv.ids if eid not in ents]
        if missing:
            problems.append(Problem(path, equiv.line, f"Equiv names missing entity id(s) {', '.join(missing)}", tuple(missing)))
            continue
        labels = {ents[eid].label for eid in equiv.ids}
        if len(labels) > 1:
            problems.append(Problem(path, equiv.line, f"Equiv mixes entity labels {sorted(labels)}: {' '.join(equiv.ids)}"))
        unclustered = [eid for eid in equiv.ids if ents[eid].label not in scheme.clustered_labels]
        if unclustered:
            problems.append(Problem(path, equiv.line, f"Equiv holds {ents[unclustered[0]].label} mention {unclustered[0]}: these are never clustered (each title mention is its own entity)"))
        for eid in equiv.ids:
            if eid in member_of:
                problems.append(Problem(path, equiv.line, f"entity {eid} is in two Equiv clusters (lines {member_of[eid]} and {equiv.line})"))
            member_of[eid] = equiv.line
    return problems


def drop_invalid(doc: AnnotatedText, problems: Sequence[Problem]) -> AnnotatedText:
    """The document without the annotations the problems name, and without relations that lose an argument."""
    bad = {i for p in problems for i in p.ids}
    entities = [e for e in doc.entities if e.id not in bad]
    kept = {e.id for e in entities}
    # Keep the first of repeated ids only: the duplicate was reported under the same id.
    relations = [r for r in doc.relations if r.id not in bad and r.head in kept and r.tail in kept]
    equivs = []
    for eq in doc.equivs:
        ids = [i for i in eq.ids if i in kept]
        if len(ids) > 1:
            equivs.append(EquivAnn(ids, eq.line))
    return AnnotatedText(doc.name, doc.text, entities, relations, equivs, dict(doc.meta))

"""brat standoff: NAME.txt + NAME.ann with T, R, Equiv and # note lines."""
import re
from pathlib import Path
from typing import List, Optional, Tuple

from ..schema import LabelScheme
from .annotations import (
    AnnotatedText,
    AnnotationError,
    EntityAnn,
    EquivAnn,
    Problem,
    RelationAnn,
    check_annotations,
    drop_invalid,
    read_text_file,
)

ENTITY_LINE = re.compile(r"^(T\d+)\t(\S+) (\d+) (\d+)\t(.*)$")
RELATION_LINE = re.compile(r"^(R\d+)\t(\S+) Arg1:(T\d+) Arg2:(T\d+)\s*$")
EQUIV_LINE = re.compile(r"^\*\tEquiv((?: T\d+)+)\s*$")
META_PREFIX = "# meta "


def parse_ann(ann: str, text: str, name: str, path: str) -> Tuple[AnnotatedText, List[Problem]]:
    """Parse the lines of a .ann file over its text; unparseable lines are problems, not silence."""
    doc = AnnotatedText(name=name, text=text)
    problems: List[Problem] = []
    for lineno, line in enumerate(ann.split("\n"), start=1):
        if not line.strip():
            continue
        if line.startswith("#"):
            if line.startswith(META_PREFIX):
                doc.meta.update(_parse_meta(line[len(META_PREFIX):]))
            continue
        if m := ENTITY_LINE.match(line):
            doc.entities.append(EntityAnn(m[1], m[2], int(m[3]), int(m[4]), m[5], lineno))
        elif m := RELATION_LINE.match(line):
            doc.relations.append(RelationAnn(m[1], m[2], m[3], m[4], lineno))
        elif m := EQUIV_LINE.match(line):
            doc.equivs.append(EquivAnn(m[1].split(), lineno))
        elif re.match(r"^T\d+\t\S+ \d+ \d+;\d+", line):
            problems.append(Problem(path, lineno, "discontinuous entity span: not supported, split it into separate entities", (line.split("\t")[0],)))
        else:
            problems.append(Problem(path, lineno, f"cannot parse line: {line[:80]!r} (expected a T, R, '*\\tEquiv' or '#' line)"))
    return doc, problems


def _parse_meta(body: str) -> dict:
    """`key=value` pairs separated by spaces, from a '# meta' note line."""
    return dict(item.split("=", 1) for item in body.split() if "=" in item)


def read_brat(txt_path: Path, scheme: LabelScheme, strict: bool = True) -> Tuple[Optional[AnnotatedText], List[Problem]]:
    """Read one NAME.txt/NAME.ann pair; strict raises on any problem, lenient drops what is broken."""
    ann_path = txt_path.with_suffix(".ann")
    problems: List[Problem] = []
    if not ann_path.exists():
        problems.append(Problem(str(txt_path), 0, f"no annotation file {ann_path.name} beside the text"))
        return _finish(None, problems, strict)
    text = read_text_file(txt_path, problems)
    ann = read_text_file(ann_path, problems)
    if text is None or ann is None:
        return _finish(None, problems, strict)
    if not text.strip():
        problems.append(Problem(str(txt_path), 1, "empty text file"))
        return _finish(None, problems, strict)
    doc, parse_problems = parse_ann(ann, text, txt_path.stem, str(ann_path))
    problems += parse_problems + check_annotations(doc, scheme, str(ann_path))
    return _finish(doc, problems, strict)


def _finish(doc: Optional[AnnotatedText], problems: List[Problem], strict: bool) -> Tuple[Optional[AnnotatedText], List[Problem]]:
    if problems and strict:
        raise AnnotationError(problems)
    if doc is not None and problems:
        doc = drop_invalid(doc, problems)
    return doc, problems


def find_pairs(directory: Path) -> Tuple[List[Path], List[Problem]]:
    """The .txt files of a brat directory, with problems for .ann files that have no .txt."""
    txts = sorted(directory.glob("*.txt"))
    problems = [
        Problem(str(ann), 0, f"no text file {ann.with_suffix('.txt').name} beside the annotation")
        for ann in sorted(directory.glob("*.ann"))
        if not ann.with_suffix(".txt").exists()
    ]
    return [t for t in txts if t.name.lower() != "readme.txt"], problems


def read_brat_dir(directory: Path, scheme: LabelScheme, strict: bool = True) -> Tuple[List[AnnotatedText], List[Problem]]:
    """Read every pair in a directory; strict raises once, listing the problems of all files."""
    txts, problems = find_pairs(directory)
    docs: List[AnnotatedText] = []
    for txt in txts:
        doc, found = read_brat(txt, scheme, strict=False)
        problems += found
        if doc is not None:
            docs.append(doc)
    if strict and problems:
        raise AnnotationError(problems)
    return docs, problems


def format_ann(doc: AnnotatedText) -> str:
    """The .ann text of a document (ids as given; meta as a '# meta' note)."""
    lines: List[str] = []
    if doc.meta:
        lines.append(META_PREFIX + " ".join(f"{k}={v}" for k, v in sorted(doc.meta.items())))
    lines += [f"{e.id}\t{e.label} {e.start} {e.end}\t{e.surface}" for e in doc.entities]
    lines += [f"{r.id}\t{r.label} Arg1:{r.head} Arg2:{r.tail}" for r in doc.relations]
    lines += ["*\tEquiv " + " ".join(eq.ids) for eq in doc.equivs]
    return "\n".join(lines) + "\n"


def write_brat(doc: AnnotatedText, directory: Path) -> Path:
    """Write NAME.txt and NAME.ann into a directory; returns the .txt path."""
    directory.mkdir(parents=True, exist_ok=True)
    txt_path = directory / f"{doc.name}.txt"
    txt_path.write_text(doc.text, encoding="utf-8")
    txt_path.with_suffix(".ann").write_text(format_ann(doc), encoding="utf-8")
    return txt_path


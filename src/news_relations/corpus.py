"""Build the spaCy corpus: brat directory -> Docs -> train/dev/test DocBins, split by a hash of the document id."""
import hashlib
from collections import Counter
from pathlib import Path
from typing import Dict, Iterable, List, Tuple

import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin

from .docs import get_relations
from .io.annotations import AnnotationError, Problem
from .io.brat import read_brat_dir
from .io.spacy_docs import annotated_to_doc
from .schema import LabelScheme

SPLITS = ("train", "dev", "test")


def split_of(doc_id: str, dev_share: float, test_share: float) -> str:
    """The split a document belongs to: a function of its id alone, so adding documents moves none."""
    digest = hashlib.sha256(doc_id.encode("utf-8")).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64
    if point < test_share:
        return "test"
    if point < test_share + dev_share:
        return "dev"
    return "train"


def brat_dir_to_docs(directory: Path, nlp: Language, scheme: LabelScheme, strict: bool = True) -> Tuple[List[Doc], List[Problem]]:
    """Every document of a brat directory as a Doc; strict raises listing every problem of every file."""
    anns, problems = read_brat_dir(directory, scheme, strict=False)
    docs: List[Doc] = []
    for ann in anns:
        doc, found = annotated_to_doc(nlp, ann, str(directory / f"{ann.name}.ann"), strict=False)
        problems += found
        docs.append(doc)
    if strict and problems:
        raise AnnotationError(problems)
    return docs, problems


def split_docs(docs: Iterable[Doc], dev_share: float, test_share: float) -> Dict[str, List[Doc]]:
    """Docs grouped by split (see split_of)."""
    groups: Dict[str, List[Doc]] = {name: [] for name in SPLITS}
    for doc in docs:
        groups[split_of(doc.user_data["news_relations.doc_id"], dev_share, test_share)].append(doc)
    return groups


def write_docbins(groups: Dict[str, List[Doc]], output_dir: Path) -> Dict[str, Path]:
    """Write one .spacy file per split, user data (relations, clusters) included."""
    output_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, docs in groups.items():
        paths[name] = output_dir / f"{name}.spacy"
        DocBin(docs=docs, store_user_data=True).to_disk(paths[name])
    return paths


def label_counts(groups: Dict[str, List[Doc]]) -> Dict[str, Counter]:
    """Counts of documents, entity labels and relation labels per split."""
    counts: Dict[str, Counter] = {}
    for name, docs in groups.items():
        c: Counter = Counter()
        c["documents"] = len(docs)
        for doc in docs:
            c.update(f"ent:{e.label_}" for e in doc.ents)
            c.update(f"rel:{r.label}" for r in get_relations(doc))
        counts[name] = c
    return counts


def counts_table(counts: Dict[str, Counter]) -> str:
    """A Markdown table: one row per label, one column per split."""
    keys = sorted({k for c in counts.values() for k in c}, key=lambda k: (k != "documents", k))
    header = "| label | " + " | ".join(counts) + " | total |\n|---|" + "---:|" * (len(counts) + 1) + "\n"
    rows = [f"| {k} | " + " | ".join(str(c[k]) for c in counts.values()) + f" | {sum(c[k] for c in counts.values())} |" for k in keys]
    return header + "\n".join(rows) + "\n"


def blank_nlp(lang: str = "en") -> Language:
    """The tokenizer the corpus is built with (the pipeline's own, from a blank pipeline)."""
    return spacy.blank(lang)

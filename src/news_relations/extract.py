"""Run the trained pipeline over text files, JSONL or stdin: JSONL records, triples CSV, graph and HTML views.

The same module is vendored into the model wheel (`python -m en_news_relations extract ...`), so it only
uses relative imports and spaCy; networkx (graph) and dask (scale-out) are imported when asked for.
"""
import csv
import importlib
import importlib.util
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, List, Optional, Sequence, TextIO, Tuple

import spacy
import typer
from spacy.language import Language
from spacy.tokens import Doc

from .docs import get_clusters, get_relations
from .pipeline.aliases import canonical_name, get_triples

# Inside the wheel this module is `en_news_relations.news_relations.extract`: the model is the package itself.
DEFAULT_MODEL = __name__.split(".")[0] if __name__.count(".") >= 2 else "en_news_relations"
STDIN = "-"
TRIPLE_COLUMNS = ["doc_id", "head", "head_label", "label", "tail", "tail_label", "score", "evidence_start", "evidence_end"]

app = typer.Typer(help="Extract entities, relations and entity-level triples with the news relations model.",
                  no_args_is_help=True, add_completion=False)


class InputError(ValueError):
    """A problem with an input file, naming the file, the line and what is wrong."""


@dataclass
class Summary:
    """What a run did: documents, words, seconds, entities, relations and triples found."""

    documents: int = 0
    words: int = 0
    seconds: float = 0.0
    entities: int = 0
    relations: int = 0
    triples: int = 0

    def add(self, record: dict) -> None:
        """Count one document record."""
        self.documents += 1
        self.words += record["words"]
        self.entities += len(record["entities"])
        self.relations += len(record["relations"])
        self.triples += len(record["triples"])

    def line(self) -> str:
        """One human-readable line."""
        rate = self.words / self.seconds if self.seconds > 0 else 0.0
        return (f"{self.documents} documents, {self.words} words in {self.seconds:.1f} s ({rate:.0f} words/s): "
                f"{self.entities} entities, {self.relations} relations, {self.triples} triples")


# ---------------------------------------------------------------- inputs


def source_kind(source: str, fmt: str) -> str:
    """'txt' or 'jsonl' for one source: the --format when given, else by suffix (stdin is text)."""
    if fmt != "auto":
        return fmt
    return "jsonl" if source != STDIN and Path(source).suffix.lower() in (".jsonl", ".ndjson") else "txt"


def expand_sources(sources: Sequence[str], fmt: str = "auto") -> List[Tuple[str, str]]:
    """(path or '-', kind) for each input, directories replaced by their .txt/.jsonl files in name order."""
    expanded: List[Tuple[str, str]] = []
    for source in sources:
        path = Path(source)
        if source == STDIN:
            expanded.append((STDIN, source_kind(source, fmt)))
        elif path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".txt", ".jsonl", ".ndjson"))
            expanded += [(str(p), source_kind(str(p), fmt)) for p in files]
        elif path.is_file():
            expanded.append((source, source_kind(source, fmt)))
        else:
            raise InputError(f"{source}: no such file or directory")
    return expanded


def read_jsonl(stream: TextIO, name: str, text_field: str, id_field: str) -> Iterator[Tuple[str, str]]:
    """(id, text) per non-empty JSONL line; the id defaults to NAME:LINE when the id field is missing."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(f"{name}:{number}: not valid JSON ({err.msg})") from None
        if not isinstance(record, dict):
            raise InputError(f"{name}:{number}: expected a JSON object, got {type(record).__name__}")
        text = record.get(text_field)
        if not isinstance(text, str):
            raise InputError(f"{name}:{number}: no string field {text_field!r} (use --text-field)")
        doc_id = record.get(id_field)
        yield (str(doc_id) if doc_id is not None else f"{Path(name).stem}:{number}"), text


def read_source(source: str, kind: str, text_field: str = "text", id_field: str = "id",
                stdin: Optional[TextIO] = None) -> Iterator[Tuple[str, str]]:
    """(id, text) pairs of one expanded source: a text file is one document named by its stem."""
    if source == STDIN:
        stream = stdin if stdin is not None else sys.stdin
        if kind == "jsonl":
            yield from read_jsonl(stream, "<stdin>", text_field, id_field)
        else:
            yield "stdin", stream.read()
        return
    path = Path(source)
    if kind == "jsonl":
        with path.open(encoding="utf-8") as stream:
            yield from read_jsonl(stream, source, text_field, id_field)
    else:
        try:
            yield path.stem, path.read_text(encoding="utf-8")
        except UnicodeDecodeError as err:
            raise InputError(f"{source}: not UTF-8 text (byte {err.start})") from None


def iter_documents(sources: Sequence[Tuple[str, str]], text_field: str = "text", id_field: str = "id",
                   stdin: Optional[TextIO] = None) -> Iterator[Tuple[str, str]]:
    """(id, text) pairs of all expanded sources, in order."""
    for source, kind in sources:
        yield from read_source(source, kind, text_field, id_field, stdin)


def count_documents(sources: Sequence[Tuple[str, str]]) -> Optional[int]:
    """How many documents the sources hold (None when stdin is among them): the progress bar's length."""
    total = 0
    for source, kind in sources:
        if source == STDIN:
            return None
        if kind == "jsonl":
            with open(source, encoding="utf-8") as stream:
                total += sum(1 for line in stream if line.strip())
        else:
            total += 1
    return total


# ---------------------------------------------------------------- model and records


def _module_pipeline(model: str) -> Optional[Language]:
    """The pipeline of an importable model package (its own load()), or None when `model` names no such module."""
    try:
        spec = importlib.util.find_spec(model)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    module = importlib.import_module(model)
    return module.load() if hasattr(module, "load") else None


def load_pipeline(model: str) -> Language:
    """Load the pipeline (package name or path) and make sure it sets clusters and triples."""
    nlp = _module_pipeline(model) if not Path(model).exists() else None
    nlp = nlp if nlp is not None else spacy.load(model)
    if "alias_clusters" not in nlp.pipe_names:
        nlp.add_pipe("alias_clusters")
    return nlp


def count_words(doc: Doc) -> int:
    """Tokens that are neither whitespace nor punctuation."""
    return sum(1 for token in doc if not (token.is_space or token.is_punct))


def doc_record(doc_id: str, doc: Doc) -> dict:
    """The JSON record of one processed document: entities with cluster ids, clusters, relations, triples."""
    clusters = get_clusters(doc)
    cluster_of = {(s.start, s.end): k for k, cluster in enumerate(clusters) for s in cluster}
    entity_of = {(e.start, e.end): i for i, e in enumerate(doc.ents)}
    entities = [{"text": e.text, "label": e.label_, "start_char": e.start_char, "end_char": e.end_char,
                 "cluster": cluster_of.get((e.start, e.end))} for e in doc.ents]
    cluster_rows = [{"id": k, "name": canonical_name(cluster), "label": cluster[0].label_,
                     "mentions": [entity_of[(s.start, s.end)] for s in cluster if (s.start, s.end) in entity_of]}
                    for k, cluster in enumerate(clusters)]
    triples = [{**t.to_dict(), "head_cluster": t.head_cluster, "tail_cluster": t.tail_cluster} for t in get_triples(doc)]
    return {"id": doc_id, "words": count_words(doc), "entities": entities, "clusters": cluster_rows,
            "relations": [r.to_dict() for r in get_relations(doc)], "triples": triples}


def process(nlp: Language, documents: Iterable[Tuple[str, str]], batch_size: int = 16,
            n_process: int = 1) -> Iterator[Tuple[str, Doc]]:
    """(id, Doc) per input document, in input order, through nlp.pipe."""
    for doc, doc_id in nlp.pipe(((text, doc_id) for doc_id, text in documents), as_tuples=True,
                                batch_size=batch_size, n_process=n_process):
        yield doc_id, doc


def extract_records(nlp: Language, documents: Iterable[Tuple[str, str]], batch_size: int = 16,
                    n_process: int = 1) -> Iterator[dict]:
    """One record per document (see doc_record)."""
    for doc_id, doc in process(nlp, documents, batch_size, n_process):
        yield doc_record(doc_id, doc)


def triple_rows(record: dict) -> Iterator[List[object]]:
    """CSV rows (TRIPLE_COLUMNS) of one record's triples."""
    for t in record["triples"]:
        yield [record["id"], t["head"], t["head_label"], t["label"], t["tail"], t["tail_label"], t["score"],
               t["evidence"]["start_char"], t["evidence"]["end_char"]]


def read_records(path: Path) -> Iterator[dict]:
    """Records from an extraction JSONL file (errors name file and line)."""
    with Path(path).open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as err:
                    raise InputError(f"{path}:{number}: not valid JSON ({err.msg})") from None


# ---------------------------------------------------------------- the run


class Outputs:
    """The files one run writes: JSONL records, the triples CSV, HTML views and the triples kept for a graph."""

    def __init__(self, out: TextIO, csv_path: Optional[Path] = None, html_dir: Optional[Path] = None,
                 keep_for_graph: bool = False):
        self.out = out
        if csv_path:
            csv_path.parent.mkdir(parents=True, exist_ok=True)
        self.csv_file = csv_path.open("w", encoding="utf-8", newline="") if csv_path else None
        self.csv = csv.writer(self.csv_file) if self.csv_file else None
        if self.csv:
            self.csv.writerow(TRIPLE_COLUMNS)
        self.html_dir = html_dir
        self.html_pages: List[Tuple[str, str]] = []
        self.kept: Optional[List[dict]] = [] if keep_for_graph else None

    def write(self, record: dict, doc: Optional[Doc] = None) -> None:
        """Write one record everywhere it goes."""
        self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
        if self.csv:
            self.csv.writerows(triple_rows(record))
        if self.html_dir is not None and doc is not None:
            from .view import write_page

            self.html_pages.append((record["id"], write_page(doc, record["id"], self.html_dir).name))
        if self.kept is not None:
            self.kept.append({"id": record["id"], "triples": record["triples"]})

    def close(self) -> None:
        """Flush and close the files this object opened; write the HTML index."""
        self.out.flush()
        if self.csv_file:
            self.csv_file.close()
        if self.html_dir is not None:
            from .view import write_index

            write_index(self.html_pages, self.html_dir)


def run_local(nlp: Language, documents: Iterable[Tuple[str, str]], outputs: Outputs, batch_size: int = 16,
              n_process: int = 1, progress: Optional[object] = None) -> Summary:
    """Extract in this process (or n_process spaCy workers), writing each record as it comes."""
    summary = Summary()
    start = time.perf_counter()
    for doc_id, doc in process(nlp, documents, batch_size, n_process):
        record = doc_record(doc_id, doc)
        outputs.write(record, doc)
        summary.add(record)
        if progress is not None:
            progress.update(1)
    summary.seconds = time.perf_counter() - start
    return summary


def _open_out(out: str) -> TextIO:
    if out == STDIN:
        return sys.stdout
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    return open(out, "w", encoding="utf-8")


@app.command("extract")
def extract_cmd(
    inputs: List[str] = typer.Argument(..., help="Text files, directories of .txt/.jsonl, JSONL files, or - for stdin"),
    model: str = typer.Option(DEFAULT_MODEL, "--model", "-m", help="Installed package name or pipeline directory"),
    out: str = typer.Option(STDIN, "--out", "-o", help="JSONL output file (- for stdout)"),
    fmt: str = typer.Option("auto", "--format", help="auto (by suffix; stdin is text), txt or jsonl"),
    text_field: str = typer.Option("text", help="JSONL field holding the text"),
    id_field: str = typer.Option("id", help="JSONL field holding the document id"),
    csv_path: Optional[Path] = typer.Option(None, "--csv", help="Also write the entity-level triples as CSV"),
    graph_dir: Optional[Path] = typer.Option(None, "--graph", help="Also write the aggregated graph (GraphML, nodes/edges CSV)"),
    html_dir: Optional[Path] = typer.Option(None, "--html", help="Also write one HTML relation view per document"),
    batch_size: int = typer.Option(16, help="Documents per nlp.pipe batch"),
    n_process: int = typer.Option(1, help="spaCy worker processes on this machine"),
    scheduler: Optional[str] = typer.Option(None, help="Run on a Dask cluster at this address (tcp://host:8786)"),
    dask_workers: int = typer.Option(0, help="Run on a local Dask cluster of this many worker processes"),
    partition_size: int = typer.Option(64, help="Text files per Dask partition (each JSONL file is one partition)"),
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress", help="Progress bar (default: when stderr is a terminal)"),
) -> None:
    """Extract entities, clusters, relations and triples; one JSONL record per document and a summary at the end."""
    if fmt not in ("auto", "txt", "jsonl"):
        raise typer.BadParameter("--format must be auto, txt or jsonl")
    try:
        sources = expand_sources(inputs, fmt)
    except InputError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1)
    distributed = scheduler is not None or dask_workers > 0
    if distributed and (html_dir is not None or any(s == STDIN for s, _ in sources)):
        typer.echo("error: --html and stdin need the local run (no --scheduler/--dask-workers)", err=True)
        raise typer.Exit(2)
    stream = _open_out(out)
    outputs = Outputs(stream, csv_path, html_dir, keep_for_graph=graph_dir is not None)
    try:
        if distributed:
            from .scale import run_dask

            summary = run_dask(model, sources, outputs, scheduler=scheduler, n_workers=dask_workers,
                               partition_size=partition_size, text_field=text_field, id_field=id_field,
                               batch_size=batch_size)
        else:
            load_start = time.perf_counter()
            nlp = load_pipeline(model)
            typer.echo(f"loaded {model} ({', '.join(nlp.pipe_names)}) in {time.perf_counter() - load_start:.1f} s", err=True)
            show = sys.stderr.isatty() if progress is None else progress
            documents = iter_documents(sources, text_field, id_field)
            if show:
                with typer.progressbar(length=count_documents(sources), label="extracting", file=sys.stderr) as bar:
                    summary = run_local(nlp, documents, outputs, batch_size, n_process, bar)
            else:
                summary = run_local(nlp, documents, outputs, batch_size, n_process)
    except InputError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1)
    finally:
        outputs.close()
        if out != STDIN:
            stream.close()
    if graph_dir is not None:
        from .graph import build_graph, write_graph

        graph = build_graph(outputs.kept or [])
        written = write_graph(graph, graph_dir)
        typer.echo(f"graph: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges -> "
                   + ", ".join(str(p) for p in written), err=True)
    typer.echo(summary.line(), err=True)


@app.command("graph")
def graph_cmd(
    records: Path = typer.Argument(..., help="JSONL written by `extract`"),
    output_dir: Path = typer.Argument(..., help="Directory for graph.graphml, nodes.csv and edges.csv"),
    min_count: int = typer.Option(1, help="Keep edges stated at least this many times"),
) -> None:
    """Aggregate the triples of an extraction JSONL into an entity graph (GraphML + nodes/edges CSV)."""
    from .graph import build_graph, write_graph

    try:
        graph = build_graph(read_records(records), min_count=min_count)
    except InputError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1)
    written = write_graph(graph, output_dir)
    typer.echo(f"{graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges -> " + ", ".join(str(p) for p in written))


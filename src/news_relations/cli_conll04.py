"""CoNLL04 commands (`python -m news_relations conll04 ...`): thin wrappers over news_relations.conll04."""
import json
from pathlib import Path
from typing import List

import typer

conll04_app = typer.Typer(help="CoNLL04 benchmark: convert, train, tune, evaluate, report.", no_args_is_help=True)


@conll04_app.command("convert")
def convert_cmd(
    input_dir: Path = typer.Argument(..., help="Directory with conll04_{train,dev,test}.json"),
    output_dir: Path = typer.Argument(..., help="Where train/dev/test .spacy go"),
    scheme: str = typer.Option("conll04", help="Label scheme"),
) -> None:
    """CoNLL04 JSON -> DocBins on the dataset's tokens; exit 1 listing every problem (file and record)."""
    import spacy

    from .conll04 import write_docbins
    from .io.annotations import AnnotationError
    from .schema import get_scheme

    try:
        counts = write_docbins(input_dir, output_dir, spacy.blank("en").vocab, get_scheme(scheme))
    except AnnotationError as err:
        for problem in err.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(1)
    (output_dir / "stats.json").write_text(json.dumps(counts, indent=2) + "\n", encoding="utf-8")
    for split, c in counts.items():
        typer.echo(f"{split}: " + ", ".join(f"{v} {k}" for k, v in c.items()))


@conll04_app.command("train", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def train_cmd(
    ctx: typer.Context,
    config: Path = typer.Argument(..., help="Training config"),
    output: Path = typer.Option(..., "--output", "-o", help="Training output directory"),
    gpu_id: int = typer.Option(-1, help="GPU id, -1 for CPU"),
) -> None:
    """`spacy train` with overrides (--section.key value), timed; writes OUTPUT/train_time.json."""
    from spacy.cli._util import parse_config_overrides

    from .conll04 import timed_train

    seconds = timed_train(config, output, parse_config_overrides(ctx.args), gpu_id)
    typer.echo(f"training took {seconds:.0f} s")


@conll04_app.command("tune")
def tune_cmd(
    model: Path = typer.Argument(..., help="Trained pipeline directory"),
    dev: Path = typer.Argument(..., help="Dev .spacy file"),
    output: Path = typer.Argument(..., help="Where the pipeline with tuned thresholds is saved"),
) -> None:
    """Per-label relation thresholds for the best dev F1 on gold entities and gold tokens; save the pipeline."""
    import spacy

    from .evaluation import load_docs, tune_thresholds

    nlp = spacy.load(model)
    thresholds = tune_thresholds(nlp, load_docs(nlp, dev), gold_tokens=True)
    nlp.to_disk(output)
    typer.echo("thresholds: " + ", ".join(f"{k}={v:.2f}" for k, v in thresholds.items()))


@conll04_app.command("evaluate")
def evaluate_cmd(
    model: Path = typer.Argument(..., help="Trained pipeline directory"),
    data: Path = typer.Argument(..., help=".spacy file with reference docs"),
    output: Path = typer.Argument(..., help="The metrics JSON to write"),
    scheme: str = typer.Option("conll04", help="Label scheme (macro averages over its labels)"),
) -> None:
    """Strict micro and macro F1 for entities and relations on the dataset's tokens, and words/s."""
    import spacy

    from .conll04 import conll04_metrics
    from .evaluation import load_docs
    from .schema import get_scheme

    nlp = spacy.load(model)
    metrics = conll04_metrics(nlp, load_docs(nlp, data), get_scheme(scheme))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    keys: List[str] = ["ents_f", "ents_macro_f", "rel_micro_f", "rel_macro_f_all_types", "rel_gold_micro_f"]
    typer.echo(", ".join(f"{k}={100 * metrics[k]:.1f}" for k in keys) + f", {metrics['words_per_second']:.0f} words/s")


@conll04_app.command("report")
def report_cmd(
    test: Path = typer.Argument(..., help="Test metrics JSON (conll04 evaluate)"),
    dev: Path = typer.Argument(..., help="Dev metrics JSON"),
    train_time: Path = typer.Argument(..., help="train_time.json of the training run"),
    output: Path = typer.Argument(..., help="The Markdown report to write"),
    summary: Path = typer.Option(None, help="Also write our and the published figures as JSON here"),
    config: str = typer.Option("conll04_cpu", help="Config name shown in the report"),
) -> None:
    """docs/CONLL04.md: our test figures beside SpERT, Table-Sequence and multi-head selection."""
    from .conll04 import PUBLISHED, report_markdown

    test_m, dev_m = json.loads(test.read_text()), json.loads(dev.read_text())
    seconds = float(json.loads(train_time.read_text())["train_seconds"])
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report_markdown(test_m, dev_m, seconds, config), encoding="utf-8")
    if summary:
        ours = {k: test_m[k] for k in ("ents_f", "ents_macro_f", "rel_micro_f", "rel_macro_f_all_types", "words_per_second")}
        summary.write_text(json.dumps({"ours": {**ours, "train_seconds": seconds, "config": config}, "published": PUBLISHED}, indent=2) + "\n")
    typer.echo(output.read_text())

"""Benchmark commands (registered on the main CLI): `benchmark` and `time-workflow`."""
import json
from pathlib import Path
from typing import List, Optional

import typer

from .cli import app


@app.command("benchmark")
def benchmark_cmd(
    model: str = typer.Argument(..., help="Trained pipeline directory or installed package name"),
    seeds_dir: Path = typer.Argument(..., help="brat directory whose .txt articles are the input"),
    report: Path = typer.Option(Path("docs/BENCHMARKS.md"), help="Markdown report"),
    json_path: Path = typer.Option(Path("metrics/benchmark.json"), "--json", help="All measurements as JSON"),
    plot_dir: Path = typer.Option(Path("docs/benchmarks"), help="Where the PNG plots go"),
    timings: Optional[Path] = typer.Option(None, help="JSON written by `time-workflow` (step timings of `all`)"),
    outputs_of: Optional[Path] = typer.Option(None, help="Without a timings JSON: estimate step times from the output mtimes of this project directory"),
    wheel: str = typer.Option("packages/*/dist/*.whl", help="Glob of the built wheel, relative to the working directory"),
    batch_size: List[int] = typer.Option([64, 256], help="Batch sizes of nlp.pipe"),
    n_process: List[int] = typer.Option([1, 2], help="Process counts of nlp.pipe"),
    length: List[int] = typer.Option([200, 500, 1000, 2000, 5000, 10000, 20000], help="Document lengths in words"),
    entities: List[int] = typer.Option([0, 5, 10, 20, 50, 100, 200], help="Entities per paragraph"),
    repeats: int = typer.Option(3, help="Timed runs per measurement (best is kept)"),
) -> None:
    """Measure words/s, memory, component shares, scaling, wheel size; write the report, JSON and plots."""
    import spacy

    from .benchmark import BenchmarkSettings, read_texts, run_benchmark, timings_from_outputs, wheel_size_mb, write_report

    nlp = spacy.load(model)
    settings = BenchmarkSettings(batch_sizes=tuple(batch_size), n_processes=tuple(n_process), lengths=tuple(length),
                                 entity_counts=tuple(entities), repeats=repeats)
    steps = None
    if timings and timings.exists():
        steps = {"method": "wrapped", "steps": json.loads(timings.read_text(encoding="utf-8"))["steps"]}
    elif outputs_of:
        steps = {"method": "mtime", "project": str(outputs_of), "steps": timings_from_outputs(outputs_of, "all")}
    results = run_benchmark(nlp, read_texts(seeds_dir), settings, steps, wheel_size_mb(wheel))
    write_report(results, model, report, json_path, plot_dir)
    for t in results["targets"]:
        typer.echo(f"{t['target']}: {t['measured']} ({'not measured' if t['pass'] is None else 'pass' if t['pass'] else 'MISS'})")


@app.command("time-workflow")
def time_workflow_cmd(
    workflow: str = typer.Argument("all", help="Workflow of project.yml whose steps are timed"),
    output: Path = typer.Option(Path("metrics/workflow_timings.json"), help="Where the step timings go"),
    project_dir: Path = typer.Option(Path("."), help="The project directory"),
    force: bool = typer.Option(True, help="Rerun steps whose outputs are up to date (time a full run)"),
) -> None:
    """Run each step of a workflow with `spacy project run`, recording its wall-clock seconds."""
    import time

    from .benchmark import spacy_project_runner, time_steps, workflow_steps

    rows = time_steps(workflow_steps(project_dir / "project.yml", workflow), spacy_project_runner(project_dir, force))
    output.parent.mkdir(parents=True, exist_ok=True)
    record = {"workflow": workflow, "finished_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "steps": rows}
    output.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    for row in rows:
        typer.echo(f"{row['step']}: {row['seconds']:.1f} s (exit {row['returncode']})")
    if rows and rows[-1]["returncode"] != 0:
        raise typer.Exit(rows[-1]["returncode"])

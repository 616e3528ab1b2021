"""Ablation runs: train a config with overrides, tune thresholds on dev, evaluate dev and test, table the results."""
import json
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

from .evaluation import evaluate_docs, load_docs, summarize, tune_thresholds


def read_runs(path: Path) -> Dict[str, Dict]:
    """The runs file, checked: {run id: {"change": text, "overrides": {dotted config key: value}}} for a run that
    trains, or {"change": text, "from": other run id, "prediction": {component: {cfg key: value}}} for a run that
    reuses another run's model with prediction-time settings changed (no training)."""
    runs = json.loads(path.read_text(encoding="utf-8"))
    for run, spec in runs.items():
        if "from" in spec:
            missing = {"change", "prediction"} - set(spec)
            if spec["from"] not in runs or "from" in runs[spec["from"]]:
                raise ValueError(f"{path}: run {run!r}: 'from' must name a run that trains, not {spec['from']!r}")
        else:
            missing = {"change", "overrides"} - set(spec)
        if missing:
            raise ValueError(f"{path}: run {run!r} lacks {sorted(missing)}")
        if not isinstance(spec.get("overrides", spec.get("prediction")), dict):
            raise ValueError(f"{path}: run {run!r}: 'overrides' / 'prediction' must be a mapping")
    return runs


def train_command(config: Path, output: Path, train: Path, dev: Path, overrides: Dict[str, object]) -> List[str]:
    """The `spacy train` command line of one run (values given as JSON so the config parser reads their type)."""
    command = [sys.executable, "-m", "spacy", "train", str(config), "--output", str(output), "--paths.train", str(train), "--paths.dev", str(dev)]
    for key, value in overrides.items():
        command += [f"--{key}", json.dumps(value)]
    return command


def run_ablation(runs: Dict[str, Dict], config: Path, train: Path, dev: Path, test: Path, training_dir: Path, metrics_dir: Path, only: List[str] = (), retrain: bool = False) -> None:
    """Train (unless a model-best exists), tune, evaluate each run; write ID-dev.json, ID-test.json and changes.json."""
    import spacy

    metrics_dir.mkdir(parents=True, exist_ok=True)
    for run, spec in runs.items():
        if only and run not in only:
            continue
        output = training_dir / spec.get("from", run)
        if retrain or not (output / "model-best").exists():
            subprocess.run(train_command(config, output, train, dev, runs[spec.get("from", run)]["overrides"]), check=True)
        nlp = spacy.load(output / "model-best")
        for component, settings in spec.get("prediction", {}).items():
            nlp.get_pipe(component).cfg.update(settings)
        tune_thresholds(nlp, load_docs(nlp, dev))
        for split, path in (("dev", dev), ("test", test)):
            metrics = summarize(evaluate_docs(nlp, load_docs(nlp, path)))
            (metrics_dir / f"{run}-{split}.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
        write_changes(runs, metrics_dir)


def write_changes(runs: Dict[str, Dict], metrics_dir: Path) -> None:
    """changes.json for `ablation-table`: the change of every run of the runs file that has dev metrics, in file order."""
    changes = {run: spec["change"] for run, spec in runs.items() if (metrics_dir / f"{run}-dev.json").exists()}
    (metrics_dir / "changes.json").write_text(json.dumps(changes, indent=2) + "\n", encoding="utf-8")

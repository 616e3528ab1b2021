"""Speed, memory and scaling of a trained pipeline, measured on this machine, and the report of it."""
import cProfile
import io
import json
import os
import platform
import pstats
import re
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy
from spacy.language import Language
from spacy.tokens import Doc, Span

METHODS = {
    "wrapped": "Measured by `spacy project run time-all`: each step of `all` run with `--force` under a timer (metrics/workflow_timings.json).",
    "mtime": "Estimated from the modification times of each step's outputs after a run of `all` (a step ends when its newest "
             "output was written and starts when the previous step with outputs ended; `validate` has no outputs and "
             "`convert` is the first marker, so both are left out of the total). Run `spacy project run time-all` for wrapped timings.",
}
WORD = re.compile(r"\S+")
RELATION_PIPE = "relation_extractor"
ENTITY_CYCLE = ("PERSON", "ORG", "ROLE", "GPE")


@dataclass(frozen=True)
class Targets:
    """The performance targets of issue 9 (2-core CPU): one place for them."""

    words_per_second: float = 8000.0
    relation_share: float = 0.30
    growth_exponent: float = 1.1
    workflow_minutes: float = 20.0
    wheel_mb: float = 50.0


# -- inputs ------------------------------------------------------------------------------------
def read_texts(seeds_dir: Path) -> List[str]:
    """The article texts of a brat directory, in file-name order."""
    return [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt")) if p.name.lower() != "readme.txt"]


def count_words(text: str) -> int:
    """Words = runs of non-space characters (tokenizer-independent)."""
    return sum(1 for _ in WORD.finditer(text))


def text_of_length(texts: Sequence[str], n_words: int) -> str:
    """Articles joined by blank lines (cycling) and cut after exactly n_words words."""
    if not texts or n_words <= 0:
        return ""
    parts, total, i = [], 0, 0
    while total < n_words:
        parts.append(texts[i % len(texts)].strip())
        total += count_words(parts[-1])
        i += 1
    joined = "\n\n".join(parts)
    end = [m.end() for m in islice_words(joined, n_words)][-1]
    return joined[:end]


def islice_words(text: str, n: int):
    """The first n word matches of a text."""
    for k, match in enumerate(WORD.finditer(text)):
        if k >= n:
            return
        yield match


def paragraph_with_entities(nlp: Language, text: str, n_entities: int) -> Doc:
    """A tokenized paragraph carrying n one-token entities spread evenly (labels cycle PERSON/ORG/ROLE/GPE)."""
    doc = nlp.make_doc(text)
    n = min(n_entities, len(doc))
    positions = numpy.linspace(0, len(doc) - 1, n).astype(int) if n else []
    doc.ents = [Span(doc, int(p), int(p) + 1, label=ENTITY_CYCLE[k % len(ENTITY_CYCLE)]) for k, p in enumerate(sorted(set(positions)))]
    return doc


# -- measurements ------------------------------------------------------------------------------
def cpu_seconds() -> float:
    """CPU seconds used so far by this process and its finished children (immune to other jobs' load)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def peak_rss_mb(children: bool = False) -> float:
    """Peak resident memory of this process (or its largest finished child) in MB (Linux: ru_maxrss in KiB)."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024.0


def throughput(nlp: Language, texts: Sequence[str], batch_size: int, n_process: int, repeats: int = 1) -> Dict[str, float]:
    """Words per second of nlp.pipe over the texts (best of `repeats`, after a warm-up pass)."""
    words = sum(count_words(t) for t in texts)
    list(nlp.pipe(texts[: max(1, batch_size // 8)], batch_size=batch_size))
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), cpu_seconds()
        for _ in nlp.pipe(texts, batch_size=batch_size, n_process=n_process):
            pass
        best, best_cpu = min(best, time.perf_counter() - start), min(best_cpu, cpu_seconds() - start_cpu)
    return {"batch_size": batch_size, "n_process": n_process, "words": words, "seconds": best, "words_per_second": words / best,
            "cpu_seconds": best_cpu, "words_per_cpu_second": words / best_cpu}


def component_seconds(nlp: Language, texts: Sequence[str], batch_size: int = 256, clock: Callable[[], float] = time.process_time) -> Dict[str, float]:
    """Seconds (CPU time of this process by default) in the tokenizer and in each pipe, each timed separately over the same docs."""
    start = clock()
    docs = [nlp.make_doc(t) for t in texts]
    times = {"tokenizer": clock() - start}
    for name, proc in nlp.pipeline:
        start = clock()
        docs = list(proc.pipe(docs, batch_size=batch_size)) if hasattr(proc, "pipe") else [proc(d) for d in docs]
        times[name] = clock() - start
    return times


def time_doc(nlp: Language, text: str, repeats: int = 3) -> Dict[str, float]:
    """Best-of-`repeats` seconds per component for one document."""
    best: Dict[str, float] = {}
    for _ in range(repeats):
        for name, seconds in component_seconds(nlp, [text], batch_size=1).items():
            best[name] = min(best.get(name, float("inf")), seconds)
    return best


def scaling_by_length(nlp: Language, texts: Sequence[str], lengths: Sequence[int], repeats: int = 3) -> List[Dict[str, float]]:
    """Seconds per document, per component, for documents of the given word counts."""
    rows = []
    for n_words in lengths:
        text = text_of_length(texts, n_words)
        seconds = time_doc(nlp, text, repeats)
        doc = nlp(text)
        n_cands = len(nlp.get_pipe(RELATION_PIPE).candidates(doc)) if RELATION_PIPE in nlp.pipe_names else 0
        rows.append({"words": count_words(text), "tokens": len(doc), "entities": len(doc.ents), "candidates": n_cands,
                     "total": sum(seconds.values()), **seconds})
    return rows


def scaling_by_entities(nlp: Language, text: str, counts: Sequence[int], repeats: int = 3) -> List[Dict[str, float]]:
    """Seconds of the relation component on one paragraph carrying 0..N entities (tok2vec run first)."""
    pipe = nlp.get_pipe(RELATION_PIPE)
    upstream = [(name, proc) for name, proc in nlp.pipeline if name in _upstream_of(nlp, RELATION_PIPE)]
    rows = []
    for n in counts:
        doc = paragraph_with_entities(nlp, text, n)
        for _, proc in upstream:
            ents = doc.ents
            doc = proc(doc)
            doc.ents = ents
        best = float("inf")
        for _ in range(repeats):
            start = time.process_time()
            pipe(doc)
            best = min(best, time.process_time() - start)
        rows.append({"entities": len(doc.ents), "tokens": len(doc), "candidates": len(pipe.candidates(doc)), "seconds": best})
    return rows


def _upstream_of(nlp: Language, name: str) -> List[str]:
    """The pipes before `name` that do not predict entities (the tok2vec it listens to)."""
    names = nlp.pipe_names[: nlp.pipe_names.index(name)]
    return [n for n in names if n != "ner" and "ner" not in n]


def fit_exponent(x: Sequence[float], y: Sequence[float]) -> float:
    """Slope of log(y) against log(x), least squares: the growth exponent b of y ~ a * x**b."""
    return float(numpy.polyfit(numpy.log(numpy.asarray(x, float)), numpy.log(numpy.asarray(y, float)), 1)[0])


def profile_top(nlp: Language, texts: Sequence[str], top: int = 15, batch_size: int = 256) -> List[str]:
    """The top entries (by own time) of a cProfile run of nlp.pipe over the texts."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in nlp.pipe(texts, batch_size=batch_size):
        pass
    profiler.disable()
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(top)
    lines = stream.getvalue().splitlines()
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    return [line.rstrip() for line in lines[header:] if line.strip()]


def wheel_size_mb(pattern: str, root: Path = Path(".")) -> Optional[float]:
    """Size in MB of the newest wheel matching the glob, or None when none is built."""
    base, pattern = (Path("/"), pattern.lstrip("/")) if pattern.startswith("/") else (root, pattern)
    wheels = sorted(base.glob(pattern), key=lambda p: p.stat().st_mtime)
    return wheels[-1].stat().st_size / 1e6 if wheels else None


# -- workflow timings --------------------------------------------------------------------------
def workflow_steps(project_yml: Path, workflow: str) -> List[str]:
    """The command names of a workflow in project.yml."""
    import srsly

    spec = srsly.read_yaml(project_yml)
    if workflow not in spec.get("workflows", {}):
        raise ValueError(f"{project_yml}: no workflow '{workflow}' (have {sorted(spec.get('workflows', {}))})")
    return list(spec["workflows"][workflow])


def time_steps(steps: Sequence[str], run: Callable[[str], int]) -> List[Dict[str, object]]:
    """Wall-clock seconds of each step, run one after the other; stops at the first failing step."""
    rows = []
    for step in steps:
        start = time.perf_counter()
        code = run(step)
        rows.append({"step": step, "seconds": time.perf_counter() - start, "returncode": code})
        if code != 0:
            break
    return rows


def spacy_project_runner(project_dir: Path, force: bool = True) -> Callable[[str], int]:
    """A runner for time_steps: `python -m spacy project run STEP [--force]` in the project directory."""
    def run(step: str) -> int:
        cmd = [sys.executable, "-m", "spacy", "project", "run", step, str(project_dir)] + (["--force"] if force else [])
        return subprocess.run(cmd, cwd=project_dir).returncode
    return run


def newest_mtime(path: Path) -> Optional[float]:
    """The newest modification time of a file or of any file under a directory (None if absent)."""
    if not path.exists():
        return None
    if path.is_file():
        return path.stat().st_mtime
    times = [p.stat().st_mtime for p in path.rglob("*") if p.is_file()]
    return max(times) if times else path.stat().st_mtime


def timings_from_outputs(project_dir: Path, workflow: str) -> List[Dict[str, object]]:
    """Estimate step durations of a finished run from its outputs' mtimes: a step ends when its newest output
    was written, and is taken to start when the previous step with outputs ended (steps without outputs, and
    the first step with outputs, get no duration). Valid only when the steps ran one after the other."""
    import srsly

    spec = srsly.read_yaml(project_dir / "project.yml")
    variables = spec.get("vars", {})
    commands = {c["name"]: c for c in spec.get("commands", [])}
    rows, previous = [], None
    for step in workflow_steps(project_dir / "project.yml", workflow):
        outputs = [_substitute(o, variables) for o in commands[step].get("outputs", [])]
        ends = [t for t in (newest_mtime(project_dir / o) for o in outputs) if t is not None]
        end = max(ends) if ends else None
        seconds = end - previous if end is not None and previous is not None else None
        rows.append({"step": step, "seconds": seconds, "returncode": None, "ended_utc": None if end is None else time.strftime("%H:%M:%S", time.gmtime(end))})
        previous = end if end is not None else previous
    if any(r["seconds"] is not None and r["seconds"] < 0 for r in rows):
        # Outputs written out of workflow order (a step re-run alone, or a run in progress): no estimate.
        for r in rows:
            r["seconds"] = None
    return rows


def _substitute(text: str, variables: Dict[str, object]) -> str:
    """Replace ${vars.NAME} in a project.yml string."""
    return re.sub(r"\$\{vars\.(\w+)\}", lambda m: str(variables[m[1]]), text)


# -- the whole benchmark -----------------------------------------------------------------------
@dataclass
class BenchmarkSettings:
    """What the benchmark measures (all set from the command line)."""

    batch_sizes: Tuple[int, ...] = (64, 256)
    n_processes: Tuple[int, ...] = (1, 2)
    lengths: Tuple[int, ...] = (200, 500, 1000, 2000, 5000, 10000, 20000)
    entity_counts: Tuple[int, ...] = (0, 5, 10, 20, 50, 100, 200)
    paragraph_words: int = 200
    repeats: int = 3
    profile_top: int = 15


def run_benchmark(nlp: Language, texts: Sequence[str], settings: BenchmarkSettings, timings: Optional[Dict[str, object]] = None, wheel_mb: Optional[float] = None) -> Dict[str, object]:
    """Every measurement of the report, as one JSON-ready dict."""
    results: Dict[str, object] = {"machine": machine_info(), "settings": asdict(settings), "pipeline": nlp.pipe_names,
                                  "corpus": {"documents": len(texts), "words": sum(count_words(t) for t in texts)}}
    results["rss_mb_after_load"] = peak_rss_mb()
    results["throughput"] = [throughput(nlp, texts, bs, n, settings.repeats if n == 1 else 1)
                             for n in settings.n_processes for bs in settings.batch_sizes]
    results["peak_rss_mb"] = peak_rss_mb()
    results["peak_rss_mb_child"] = peak_rss_mb(children=True)
    seconds = component_seconds(nlp, texts)
    total = sum(seconds.values())
    results["components"] = {name: {"seconds": s, "share": s / total} for name, s in seconds.items()}
    results["by_length"] = scaling_by_length(nlp, texts, settings.lengths, settings.repeats)
    rows = results["by_length"]
    results["exponents"] = {name: fit_exponent([r["words"] for r in rows], [max(r[name], 1e-7) for r in rows])
                            for name in ["total", *seconds]}
    paragraph = text_of_length(texts, settings.paragraph_words)
    if RELATION_PIPE in nlp.pipe_names:
        results["by_entities"] = scaling_by_entities(nlp, paragraph, settings.entity_counts, settings.repeats)
    results["profile"] = profile_top(nlp, texts, settings.profile_top)
    results["workflow_timings"] = timings
    results["wheel_mb"] = wheel_mb
    results["targets"] = check_targets(results, Targets())
    return results


def machine_info() -> Dict[str, object]:
    """CPU count, load average, Python and library versions at measurement time."""
    import spacy

    return {"cpus": os.cpu_count(), "load_average_1m": os.getloadavg()[0], "python": platform.python_version(),
            "spacy": spacy.__version__, "platform": platform.platform(), "when_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def check_targets(results: Dict[str, object], targets: Targets) -> List[Dict[str, object]]:
    """Each target with the measured value and pass/miss (None where it was not measured)."""
    single = [r for r in results["throughput"] if r["n_process"] == 1]
    best = max(single, key=lambda r: r["words_per_second"])
    share = results["components"].get(RELATION_PIPE, {}).get("share")
    exponent = results["exponents"].get(RELATION_PIPE)
    timings = results.get("workflow_timings")
    measured = [r["seconds"] for r in timings["steps"] if r["seconds"] is not None] if timings else []
    minutes = sum(measured) / 60 if measured else None
    rows = [
        ("words/s, n_process=1 (best batch size: %d)" % best["batch_size"], ">=", targets.words_per_second, best["words_per_second"]),
        ("relation component share of pipeline time", "<=", targets.relation_share, share),
        ("growth exponent of relation time vs document length", "<=", targets.growth_exponent, exponent),
        ("`spacy project run all` minutes", "<=", targets.workflow_minutes, minutes),
        ("CPU wheel MB", "<=", targets.wheel_mb, results.get("wheel_mb")),
    ]
    out = []
    for name, op, target, value in rows:
        ok = None if value is None else (value >= target if op == ">=" else value <= target)
        gap = None if value is None or ok else (target - value if op == ">=" else value - target)
        out.append({"target": name, "op": op, "goal": target, "measured": value, "pass": ok, "missed_by": gap})
    return out


# -- report ------------------------------------------------------------------------------------
def plot_scaling(results: Dict[str, object], out_dir: Path) -> List[Path]:
    """PNG plots: seconds per doc vs length (log-log, per component) and relation time vs entities."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    rows = results["by_length"]
    words = [r["words"] for r in rows]
    fig, ax = plt.subplots(figsize=(6, 4))
    for name in ["total", *results["components"]]:
        ax.loglog(words, [max(r[name], 1e-7) for r in rows], marker="o", label=f"{name} (b={results['exponents'][name]:.2f})")
    ax.set_xlabel("document length (words)")
    ax.set_ylabel("CPU seconds per document")
    ax.set_title("Cost vs document length")
    ax.legend(fontsize=7)
    fig.tight_layout()
    paths = [out_dir / "seconds_vs_length.png"]
    fig.savefig(paths[0], dpi=100)
    plt.close(fig)
    if results.get("by_entities"):
        ent_rows = results["by_entities"]
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot([r["entities"] for r in ent_rows], [r["seconds"] * 1000 for r in ent_rows], marker="o", label="relation_extractor CPU ms")
        ax2 = ax.twinx()
        ax2.plot([r["entities"] for r in ent_rows], [r["candidates"] for r in ent_rows], marker="x", color="gray", label="candidates")
        ax.set_xlabel(f"entities in one {results['settings']['paragraph_words']}-word paragraph")
        ax.set_ylabel("ms per paragraph")
        ax2.set_ylabel("candidate pairs")
        ax.set_title("Relation component cost vs entity density")
        fig.legend(fontsize=7, loc="upper left")
        fig.tight_layout()
        paths.append(out_dir / "relation_vs_entities.png")
        fig.savefig(paths[-1], dpi=100)
        plt.close(fig)
    return paths


def _fmt(value, digits: int = 2) -> str:
    if value is None:
        return "not measured"
    return f"{value:,.{digits}f}" if isinstance(value, float) else str(value)


def report_markdown(results: Dict[str, object], model: str, plots: Sequence[Path], report_dir: Path) -> str:
    """The Markdown report: targets, throughput, memory, component shares, scaling, workflow, profile."""
    m = results["machine"]
    lines = ["# Benchmarks", "",
             f"Measured by `spacy project run benchmark` (`python -m news_relations benchmark`) on {m['when_utc']}: "
             f"{m['cpus']} CPUs, load average {m['load_average_1m']:.2f} at start (other jobs share this machine), "
             f"Python {m['python']}, spaCy {m['spacy']}. Model: `{model}` (pipeline: {', '.join(results['pipeline'])}). "
             f"Input: the {results['corpus']['documents']} articles of `seeds/` ({results['corpus']['words']:,} words; "
             "words = runs of non-space characters).", "",
             "## Targets", "", "| target | goal | measured | result |", "|---|---|---|---|"]
    for t in results["targets"]:
        verdict = "not measured" if t["pass"] is None else ("pass" if t["pass"] else f"**miss** by {_fmt(t['missed_by'])}")
        lines.append(f"| {t['target']} | {t['op']} {_fmt(t['goal'])} | {_fmt(t['measured'])} | {verdict} |")
    shares = sorted(results["components"].items(), key=lambda kv: -kv[1]["share"])
    steepest = max(results["exponents"].items(), key=lambda kv: kv[1])
    lines += ["", "Where the time goes: " + ", ".join(f"{n} {c['share']:.0%}" for n, c in shares) +
              f" of pipeline CPU time on the corpus; the steepest growth with document length is {steepest[0]} (b = {steepest[1]:.2f})."]
    lines += ["", "## Throughput (nlp.pipe over the corpus)", "", "| n_process | batch_size | seconds | words/s |", "|---|---|---|---|"]
    for r in results["throughput"]:
        lines.append(f"| {r['n_process']} | {r['batch_size']} | {r['seconds']:.2f} | {r['words_per_second']:,.0f} |")
    lines += ["", "Wall-clock seconds decide the target; CPU seconds (this process and its workers) show what the pipeline costs "
              "when it has the cores to itself, as other jobs share this machine: "
              + ", ".join(f"n_process={r['n_process']}, batch {r['batch_size']}: {r['words_per_cpu_second']:,.0f} words per CPU second" for r in results["throughput"]) + "."]
    lines += ["", f"Peak RSS: {results['peak_rss_mb']:.0f} MB in the main process ({results['rss_mb_after_load']:.0f} MB after loading); "
              f"largest worker of n_process=2: {results['peak_rss_mb_child']:.0f} MB.", "",
              "## Share of time per component", "", "Each component timed separately over the same docs (batch size 256), in CPU seconds of this process.", "",
              "| component | seconds | share |", "|---|---|---|"]
    for name, c in results["components"].items():
        lines.append(f"| {name} | {c['seconds']:.3f} | {c['share']:.1%} |")
    lines += ["", "## Cost vs document length", "", "Documents built by concatenating the corpus articles, cut at the word count; "
              f"best of {results['settings']['repeats']} runs, one document at a time, in CPU seconds of this process (wall-clock time on a shared "
              "machine penalizes long runs, which other jobs interrupt more often, and inflates the exponents).", ""]
    names = list(results["components"])
    lines += ["| words | tokens | entities | candidates | total s | " + " | ".join(f"{n} s" for n in names) + " |",
              "|" + "---|" * (5 + len(names))]
    for r in results["by_length"]:
        lines.append(f"| {r['words']} | {r['tokens']} | {r['entities']} | {r['candidates']} | {r['total']:.4f} | " + " | ".join(f"{r[n]:.4f}" for n in names) + " |")
    lines += ["", "Growth exponent b of seconds ~ a * words^b (log-log least squares): " +
              ", ".join(f"{n} {b:.2f}" for n, b in results["exponents"].items()) + "."]
    if results.get("by_entities"):
        lines += ["", "## Relation component vs entities per paragraph", "",
                  f"One {results['settings']['paragraph_words']}-word paragraph, tok2vec run first, with N one-token entities spread evenly "
                  "(labels cycling PERSON, ORG, ROLE, GPE) in place of NER output.", "",
                  "| entities | candidates | CPU ms |", "|---|---|---|"]
        lines += [f"| {r['entities']} | {r['candidates']} | {r['seconds'] * 1000:.2f} |" for r in results["by_entities"]]
    lines += ["", "## Plots", ""] + [f"![{p.stem}]({os.path.relpath(p, report_dir)})" for p in plots]
    lines += ["", "## Training time of `spacy project run all`, by step", ""]
    timings = results.get("workflow_timings")
    if timings:
        lines += [METHODS[timings["method"]], "", "| step | seconds |", "|---|---|"]
        lines += [f"| {r['step']} | {_fmt(r['seconds'], 1)} |" for r in timings["steps"]]
        lines.append(f"| total | {sum(r['seconds'] or 0.0 for r in timings['steps']):.1f} |")
    else:
        lines.append("Not measured: run `spacy project run time-all` (runs each step of `all` with `--force`, timing it) before the benchmark.")
    lines += ["", "## Profile (cProfile of nlp.pipe over the corpus, top entries by own time)", "",
              "cProfile does not see inside compiled code: the own time of `spacy/util.py(_pipe)` is the time spent in Cython "
              "components called from it (the NER transition parser); `gemm`, `maxout`, `seq2col` are tok2vec and NER layers.", "", "```"] + results["profile"] + ["```", ""]
    return "\n".join(lines)


def write_report(results: Dict[str, object], model: str, report: Path, json_path: Path, plot_dir: Path) -> None:
    """Write the JSON metrics, the plots and the Markdown report."""
    plots = plot_scaling(results, plot_dir)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(report_markdown(results, model, plots, report.parent), encoding="utf-8")

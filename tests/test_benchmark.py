"""The benchmark's building blocks: documents of a given length, the exponent fit, step timings, targets, the report."""
import json
import os
import time
from pathlib import Path

import numpy
import pytest
import spacy

from news_relations.benchmark import (
    BenchmarkSettings,
    Targets,
    check_targets,
    count_words,
    fit_exponent,
    paragraph_with_entities,
    read_texts,
    run_benchmark,
    text_of_length,
    time_steps,
    timings_from_outputs,
    wheel_size_mb,
    write_report,
)

ROOT = Path(__file__).resolve().parent.parent


def test_text_of_length_has_exactly_n_words():
    texts = ["one two three", "four  five\nsix seven"]
    for n in (1, 3, 4, 7, 20):
        text = text_of_length(texts, n)
        assert count_words(text) == n
        assert text.split()[:3] == ["one", "two", "three"][: min(n, 3)]
    assert text_of_length([], 5) == "" and text_of_length(texts, 0) == ""


@pytest.mark.parametrize("exponent", [1.0, 1.5, 2.0])
def test_fit_exponent_recovers_power_law(exponent):
    x = numpy.array([200, 500, 1000, 5000, 20000], dtype=float)
    assert fit_exponent(x, 3e-5 * x**exponent) == pytest.approx(exponent, abs=1e-9)


def test_paragraph_with_entities_places_n_entities(nlp_blank):
    doc = paragraph_with_entities(nlp_blank, " ".join(f"w{i}" for i in range(50)), 10)
    assert len(doc.ents) == 10 and {e.label_ for e in doc.ents} == {"PERSON", "ORG", "ROLE", "GPE"}


def test_time_steps_stops_at_first_failure():
    ran = []

    def run(step):
        ran.append(step)
        return 1 if step == "b" else 0

    rows = time_steps(["a", "b", "c"], run)
    assert ran == ["a", "b"] and [r["returncode"] for r in rows] == [0, 1] and all(r["seconds"] >= 0 for r in rows)


def test_timings_from_outputs_uses_output_mtimes(tmp_path):
    (tmp_path / "project.yml").write_text(
        "vars:\n  out: 'o'\nworkflows:\n  all: [first, second, third]\ncommands:\n"
        "  - name: first\n    script: ['x']\n    outputs: ['${vars.out}/a.txt']\n"
        "  - name: second\n    script: ['x']\n    outputs: ['${vars.out}/dir']\n"
        "  - name: third\n    script: ['x']\n", encoding="utf-8")
    (tmp_path / "o" / "dir").mkdir(parents=True)
    (tmp_path / "o" / "a.txt").write_text("a")
    (tmp_path / "o" / "dir" / "b.bin").write_text("b")
    now = time.time()
    os.utime(tmp_path / "o" / "a.txt", (now - 100, now - 100))
    os.utime(tmp_path / "o" / "dir" / "b.bin", (now - 40, now - 40))
    rows = timings_from_outputs(tmp_path, "all")
    assert [r["step"] for r in rows] == ["first", "second", "third"]
    assert rows[0]["seconds"] is None and rows[1]["seconds"] == pytest.approx(60, abs=1) and rows[2]["seconds"] is None
    os.utime(tmp_path / "o" / "a.txt", (now, now))
    assert all(r["seconds"] is None for r in timings_from_outputs(tmp_path, "all"))


def test_wheel_size_and_targets(tmp_path):
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "x.whl").write_bytes(b"0" * 2_000_000)
    assert wheel_size_mb("dist/*.whl", tmp_path) == pytest.approx(2.0)
    assert wheel_size_mb(str(tmp_path / "dist" / "*.whl")) == pytest.approx(2.0)
    assert wheel_size_mb("none/*.whl", tmp_path) is None
    results = {"throughput": [{"n_process": 1, "batch_size": 64, "words_per_second": 9000.0}, {"n_process": 2, "batch_size": 64, "words_per_second": 1.0}],
               "components": {"relation_extractor": {"share": 0.4}}, "exponents": {"relation_extractor": 1.0},
               "workflow_timings": None, "wheel_mb": 2.0}
    rows = {r["target"].split(",")[0].split(" (")[0]: r for r in check_targets(results, Targets())}
    assert rows["words/s"]["pass"] is True
    assert rows["relation component share of pipeline time"]["pass"] is False
    assert rows["relation component share of pipeline time"]["missed_by"] == pytest.approx(0.1)
    assert rows["`spacy project run all` minutes"]["pass"] is None


def test_benchmark_report_on_tiny_model(tiny_model, tmp_path):
    nlp = spacy.load(tiny_model)
    texts = read_texts(ROOT / "seeds")[:6]
    settings = BenchmarkSettings(batch_sizes=(4,), n_processes=(1,), lengths=(50, 100, 200), entity_counts=(0, 4, 8), repeats=1, profile_top=5)
    results = run_benchmark(nlp, texts, settings, None, None)
    assert [r["words"] for r in results["by_length"]] == [50, 100, 200]
    assert sum(c["share"] for c in results["components"].values()) == pytest.approx(1.0)
    assert [r["entities"] for r in results["by_entities"]] == [0, 4, 8]
    assert results["by_entities"][0]["candidates"] == 0
    write_report(results, str(tiny_model), tmp_path / "B.md", tmp_path / "b.json", tmp_path / "plots")
    assert json.loads((tmp_path / "b.json").read_text())["settings"]["lengths"] == [50, 100, 200]
    assert (tmp_path / "plots" / "seconds_vs_length.png").stat().st_size > 0
    report = (tmp_path / "B.md").read_text()
    assert "| relation component share of pipeline time |" in report and "plots/seconds_vs_length.png" in report

"""Extraction CLI: inputs (files, directories, JSONL, stdin), records, CSV, graph export and the wheel's own CLI."""
import csv
import io
import json
import os
import subprocess
import sys

import networkx as nx
import pytest
from typer.testing import CliRunner

from conftest import ROOT
from news_relations.extract import (InputError, Outputs, app, expand_sources, iter_documents, load_pipeline,
                                    read_records, run_local)
from news_relations.graph import build_graph, write_graph
from news_relations.packaging import add_console_script, cli_usage, vendor_code

SEEDS = sorted((ROOT / "seeds").glob("*.txt"))[:3]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A directory of three seed articles and a JSONL file with other field names."""
    root = tmp_path_factory.mktemp("inputs")
    (root / "txt").mkdir()
    for path in SEEDS:
        (root / "txt" / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    lines = [json.dumps({"url": f"u{i}", "body": p.read_text(encoding="utf-8")}) for i, p in enumerate(SEEDS[:2])]
    (root / "news.jsonl").write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    return root


def test_sources_are_read_in_order_with_ids(inputs):
    sources = expand_sources([str(inputs / "txt"), str(inputs / "news.jsonl")])
    docs = list(iter_documents(sources, text_field="body", id_field="url"))
    assert [d for d, _ in docs] == [p.stem for p in SEEDS] + ["u0", "u1"]
    assert docs[0][1] == SEEDS[0].read_text(encoding="utf-8") == docs[3][1]
    stdin = list(iter_documents([("-", "txt")], stdin=io.StringIO("Kabul is in Afghanistan.")))
    assert stdin == [("stdin", "Kabul is in Afghanistan.")]
    piped = list(iter_documents([("-", "jsonl")], stdin=io.StringIO('{"text": "a"}\n{"text": "b", "id": 7}\n')))
    assert piped == [("<stdin>:1", "a"), ("7", "b")]


@pytest.mark.parametrize("line,message", [("{not json", "not valid JSON"), ('["a"]', "expected a JSON object"),
                                          ('{"body": "x"}', "no string field 'text'")])
def test_bad_jsonl_names_file_and_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "fine"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=rf"bad.jsonl:2: {message}"):
        list(iter_documents(expand_sources([str(path)])))
    with pytest.raises(InputError, match="missing.txt: no such file"):
        expand_sources([str(tmp_path / "missing.txt")])


@pytest.fixture(scope="module")
def extracted(tiny_model, inputs, tmp_path_factory):
    """The extract command over the directory and the JSONL, with CSV and graph outputs."""
    out = tmp_path_factory.mktemp("extracted")
    result = CliRunner().invoke(app, ["extract", str(inputs / "txt"), str(inputs / "news.jsonl"), "--model", str(tiny_model),
                                      "--text-field", "body", "--id-field", "url", "-o", str(out / "records.jsonl"),
                                      "--csv", str(out / "triples.csv"), "--graph", str(out / "graph"), "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    return out, result.output, list(read_records(out / "records.jsonl"))


def test_records_are_consistent_with_the_text(extracted, inputs):
    _, output, records = extracted
    texts = dict(iter_documents(expand_sources([str(inputs / "txt"), str(inputs / "news.jsonl")]), "body", "url"))
    assert [r["id"] for r in records] == list(texts)
    for record in records:
        text = texts[record["id"]]
        assert record["words"] > 0
        for ent in record["entities"]:
            assert text[ent["start_char"]:ent["end_char"]] == ent["text"]
        for cluster in record["clusters"]:
            assert all(record["entities"][i]["cluster"] == cluster["id"] for i in cluster["mentions"])
            assert {record["entities"][i]["label"] for i in cluster["mentions"]} == {cluster["label"]}
        spans = {(e["start_char"], e["end_char"], e["label"]) for e in record["entities"]}
        for rel in record["relations"]:
            for arg in (rel["head"], rel["tail"]):
                assert (arg["start_char"], arg["end_char"], arg["label"]) in spans
        for triple in record["triples"]:
            assert 0 <= triple["evidence"]["start_char"] < triple["evidence"]["end_char"] <= len(text)
    n = {key: sum(len(r[key]) for r in records) for key in ("entities", "relations", "triples")}
    assert f"{len(records)} documents, {sum(r['words'] for r in records)} words" in output
    assert f"{n['entities']} entities, {n['relations']} relations, {n['triples']} triples" in output


def test_csv_and_graph_hold_the_triples(extracted):
    out, _, records = extracted
    with (out / "triples.csv").open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == sum(len(r["triples"]) for r in records)
    assert [(row["doc_id"], row["label"]) for row in rows] == [(r["id"], t["label"]) for r in records for t in r["triples"]]
    graph = nx.read_graphml(out / "graph" / "graph.graphml")
    assert sum(d["count"] for _, _, d in graph.edges(data=True)) == len(rows)


def test_stdin_and_errors_through_the_command(tiny_model, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["extract", "-", "--model", str(tiny_model)], input=SEEDS[0].read_text(encoding="utf-8"))
    assert result.exit_code == 0, result.output
    record = json.loads(next(line for line in result.output.splitlines() if line.startswith("{")))
    assert record["id"] == "stdin" and record["words"] > 50
    (tmp_path / "bad.jsonl").write_text("{oops\n", encoding="utf-8")
    result = runner.invoke(app, ["extract", str(tmp_path / "bad.jsonl"), "--model", str(tiny_model), "-o", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 1 and "bad.jsonl:1: not valid JSON" in result.output


def test_local_run_is_deterministic_across_batch_sizes(tiny_model, inputs):
    nlp = load_pipeline(str(tiny_model))
    outputs = []
    for batch_size in (1, 3):
        stream = io.StringIO()
        summary = run_local(nlp, iter_documents(expand_sources([str(inputs / "txt")])), Outputs(stream), batch_size)
        outputs.append(stream.getvalue())
        assert summary.documents == len(SEEDS)
    assert outputs[0] == outputs[1]


def _record(doc_id, *triples):
    return {"id": doc_id, "triples": [dict(zip(("head", "head_label", "label", "tail", "tail_label", "score", "head_cluster", "tail_cluster"), t))
                                      for t in triples]}


def test_graph_merges_entities_across_documents(tmp_path):
    records = [
        _record("d1", ("Gulmurod Halimov", "PERSON", "AFFILIATED_WITH", "Islamic State", "ORG", 0.9, 0, 1),
                ("Gulmurod Halimov", "PERSON", "HAS_ROLE", "commander", "ROLE", 0.8, 0, -1)),
        _record("d2", ("Gulmurod Halimov", "PERSON", "AFFILIATED_WITH", "the Islamic State", "ORG", 0.5, 3, 2),
                ("Ivan Petrov", "PERSON", "HAS_ROLE", "commander", "ROLE", 0.7, 0, -1)),
    ]
    graph = build_graph(records)
    edge = graph.get_edge_data("PERSON:gulmurod halimov", "ORG:islamic state")["AFFILIATED_WITH"]
    assert edge["count"] == 2 and edge["mean_score"] == pytest.approx(0.7) and edge["documents"] == "d1;d2"
    # Titles are not clustered: one "commander" per document, not one shared by everybody.
    assert {n for n in graph if n.startswith("ROLE:")} == {"ROLE:commander@d1", "ROLE:commander@d2"}
    assert graph.nodes["ORG:islamic state"]["documents"] == 2
    written = write_graph(graph, tmp_path)
    back = nx.read_graphml(written[0], force_multigraph=True)
    assert sorted(back.nodes) == sorted(graph.nodes) and back.number_of_edges() == 3
    with written[2].open(encoding="utf-8") as stream:
        edges = list(csv.DictReader(stream))
    assert list(edges[0]) == ["Source", "Target", "Type", "Label", "Weight", "mean_score", "documents"]
    assert sorted(int(e["Weight"]) for e in edges) == [1, 1, 2]
    assert len(build_graph(records, min_count=2).edges) == 1


def _model_package(model_dir, root):
    """A model package laid out as `spacy package` lays it out (spaCy's own templates), then vendored."""
    import shutil

    import srsly
    from spacy.cli import package as spacy_package  # noqa: F401  (the module holds the templates)

    templates = sys.modules["spacy.cli.package"]
    meta = {**srsly.read_json(model_dir / "meta.json"), "name": "news_relations", "version": "0.0.3"}
    inner = root / "en_news_relations"
    shutil.copytree(model_dir, inner / "en_news_relations-0.0.3")
    srsly.write_json(inner / "en_news_relations-0.0.3" / "meta.json", meta)
    for path in (root / "meta.json", inner / "meta.json"):
        srsly.write_json(path, meta)
    (inner / "__init__.py").write_text(templates.TEMPLATE_INIT.format(imports=""), encoding="utf-8")
    (root / "setup.py").write_text(templates.TEMPLATE_SETUP, encoding="utf-8")
    vendor_code(root, "en_news_relations")
    return root


def test_model_package_carries_the_cli(tiny_model, tmp_path):
    """`python -m en_news_relations extract` runs from the package, beside the project's own package (no E004 clash)."""
    root = _model_package(tiny_model, tmp_path / "pkg")
    setup = (root / "setup.py").read_text(encoding="utf-8")
    compile(setup, "setup.py", "exec")
    assert "'console_scripts': ['{m} = {m}.__main__:main'.format(m=model_name)]" in setup
    assert add_console_script(setup) == setup  # patched once
    assert "python -m en_news_relations extract" in "\n".join(cli_usage("en_news_relations"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-m", "en_news_relations", "extract", "-"], input=SEEDS[0].read_text(encoding="utf-8"),
                         env=env, cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    record = json.loads(run.stdout)
    assert record["id"] == "stdin" and record["words"] > 50
    assert "loaded en_news_relations" in run.stderr and "1 documents" in run.stderr

"""Dask scale-out: a LocalCluster of 2 worker processes gives exactly the single-process output, one model load per worker."""
import io
import json

import pytest
from typer.testing import CliRunner

from conftest import ROOT
from news_relations.extract import Outputs, app, expand_sources, iter_documents, load_pipeline, run_local
from distributed import Client

from news_relations.scale import extract_on_client, load_counts, open_client, partition_sources

SEEDS = sorted((ROOT / "seeds").glob("*.txt"))[:5]


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    """Five text files and a JSONL partition of two more documents."""
    root = tmp_path_factory.mktemp("collection")
    for path in SEEDS:
        (root / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    lines = [json.dumps({"id": f"j{i}", "text": p.read_text(encoding="utf-8")}) for i, p in enumerate(SEEDS[:2])]
    (root / "zz-part.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def test_partitions_keep_input_order(collection):
    sources = expand_sources([str(collection)])
    partitions = partition_sources(sources, 2)
    assert [len(p) for p in partitions] == [2, 2, 1, 1]
    assert [s for p in partitions for s in p] == sources
    assert partitions[-1] == ((str(collection / "zz-part.jsonl"), "jsonl"),)


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of 2 single-threaded worker processes, as `--dask-workers 2` starts it."""
    client, local_cluster = open_client(None, 2)
    yield local_cluster
    client.close()
    local_cluster.close()


def test_dask_output_equals_local_output(tiny_model, collection, cluster, tmp_path):
    stream = io.StringIO()
    local = run_local(load_pipeline(str(tiny_model)), iter_documents(expand_sources([str(collection)])), Outputs(stream))
    result = CliRunner().invoke(app, ["extract", str(collection), "--model", str(tiny_model), "--scheduler", cluster.scheduler_address,
                                      "--partition-size", "2", "-o", str(tmp_path / "dask.jsonl"), "--csv", str(tmp_path / "t.csv")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "dask.jsonl").read_text(encoding="utf-8") == stream.getvalue()
    assert local.documents == 7 and f"{local.documents} documents, {local.words} words" in result.output


def test_model_is_loaded_once_per_worker(tiny_model, collection, cluster):
    with Client(cluster) as client:
        partitions = partition_sources(expand_sources([str(collection)]), 1)
        records = list(extract_on_client(client, str(tiny_model), partitions))
        assert [r["id"] for r in records] == [p.stem for p in SEEDS] + ["j0", "j1"]
        counts = client.run(load_counts)
    assert len(counts) == 2 and all(c == {str(tiny_model): 1} for c in counts.values()), counts

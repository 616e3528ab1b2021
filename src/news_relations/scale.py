"""The same extraction on Dask: partitions of files processed on workers, the pipeline loaded once per worker.

Workers read the partition files themselves (paths must be visible to them: a shared file system or
the same relative layout) and load the model by name or path (install the wheel or the project on
each worker). The client writes the records in input order, so the output equals the local run's.
"""
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from distributed import Client, LocalCluster, WorkerPlugin
from spacy.language import Language

from .extract import Outputs, Summary, doc_record, load_pipeline, process, read_source

Partition = Tuple[Tuple[str, str], ...]
PLUGIN_NAME = "news-relations-pipeline"
_PIPELINES: Dict[str, Language] = {}
LOADS: Dict[str, int] = {}


def worker_pipeline(model: str) -> Language:
    """The pipeline of this worker process, loaded on first use and kept (one load per worker)."""
    if model not in _PIPELINES:
        _PIPELINES[model] = load_pipeline(model)
        LOADS[model] = LOADS.get(model, 0) + 1
    return _PIPELINES[model]


def load_counts() -> Dict[str, int]:
    """How many times each model was loaded in this process (checked per worker by the tests)."""
    return dict(LOADS)


class PipelinePlugin(WorkerPlugin):
    """Loads the pipeline when a worker starts (and on workers that join later)."""

    def __init__(self, model: str):
        self.model = model

    def setup(self, worker) -> None:
        worker_pipeline(self.model)


def partition_sources(sources: Sequence[Tuple[str, str]], partition_size: int) -> List[Partition]:
    """Text files in groups of partition_size (input order kept); each JSONL file is a partition of its own."""
    partitions: List[Partition] = []
    texts: List[Tuple[str, str]] = []
    for source, kind in sources:
        if kind == "jsonl":
            if texts:
                partitions.append(tuple(texts))
                texts = []
            partitions.append(((source, kind),))
            continue
        texts.append((source, kind))
        if len(texts) == partition_size:
            partitions.append(tuple(texts))
            texts = []
    if texts:
        partitions.append(tuple(texts))
    return partitions


def extract_partition(model: str, partition: Partition, text_field: str = "text", id_field: str = "id",
                      batch_size: int = 16) -> List[dict]:
    """Records of one partition, on a worker (the same doc_record as the local run)."""
    nlp = worker_pipeline(model)
    documents = (pair for source, kind in partition for pair in read_source(source, kind, text_field, id_field))
    return [doc_record(doc_id, doc) for doc_id, doc in process(nlp, documents, batch_size)]


def extract_on_client(client: Client, model: str, partitions: Sequence[Partition], text_field: str = "text",
                      id_field: str = "id", batch_size: int = 16) -> Iterator[dict]:
    """Submit every partition and yield the records in input order as the partitions finish."""
    client.register_plugin(PipelinePlugin(model), name=PLUGIN_NAME)
    futures = client.map(extract_partition, [model] * len(partitions), partitions, text_field=text_field,
                         id_field=id_field, batch_size=batch_size, pure=False)
    for future in futures:
        yield from future.result()
        future.release()


def open_client(scheduler: Optional[str], n_workers: int) -> Tuple[Client, Optional[LocalCluster]]:
    """A client of the scheduler at this address, or of a new LocalCluster of n_workers single-threaded processes."""
    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster), cluster


def run_dask(model: str, sources: Sequence[Tuple[str, str]], outputs: Outputs, scheduler: Optional[str] = None,
             n_workers: int = 2, partition_size: int = 64, text_field: str = "text", id_field: str = "id",
             batch_size: int = 16) -> Summary:
    """Extract on Dask and write the records through outputs; the summary counts what was written."""
    model = str(Path(model).resolve()) if Path(model).exists() else model
    sources = [(s if s == "-" else str(Path(s).resolve()), kind) for s, kind in sources]
    client, cluster = open_client(scheduler, n_workers)
    summary = Summary()
    start = time.perf_counter()
    try:
        for record in extract_on_client(client, model, partition_sources(sources, partition_size), text_field,
                                        id_field, batch_size):
            outputs.write(record)
            summary.add(record)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    summary.seconds = time.perf_counter() - start
    return summary

"""Entity graph across documents: triples aggregated by entity (canonical name + label), for Gephi and Neo4j."""
import csv
from collections import Counter
from pathlib import Path
from typing import Dict, Iterable, List, Optional

from .pipeline.aliases import normalize

NODE_COLUMNS = ["Id", "Label", "type", "documents", "triples"]
EDGE_COLUMNS = ["Source", "Target", "Type", "Label", "Weight", "mean_score", "documents"]


def _networkx():
    try:
        import networkx
    except ImportError:  # the model wheel needs spaCy only; the graph export needs networkx too
        raise ImportError("the graph export needs networkx: pip install networkx") from None
    return networkx


def node_id(name: str, label: str, doc_id: Optional[str] = None) -> str:
    """One id per entity across documents (label and normalized canonical name); unclustered mentions (titles) per document."""
    return f"{label}:{normalize(name)}" + (f"@{doc_id}" if doc_id is not None else "")


def build_graph(records: Iterable[dict], min_count: int = 1):
    """A networkx MultiDiGraph: entity nodes, one edge per (head, relation label, tail) with count, mean score, documents."""
    nx = _networkx()
    names: Dict[str, Counter] = {}
    node_docs: Dict[str, set] = {}
    node_triples: Counter = Counter()
    edges: Dict[tuple, dict] = {}
    for record in records:
        for t in record["triples"]:
            ends = []
            for name, label, cluster in ((t["head"], t["head_label"], t.get("head_cluster", 0)),
                                         (t["tail"], t["tail_label"], t.get("tail_cluster", 0))):
                key = node_id(name, label, None if cluster != -1 else record["id"])
                names.setdefault(key, Counter())[name] += 1
                node_docs.setdefault(key, set()).add(record["id"])
                node_triples[key] += 1
                ends.append((key, label))
            edge = edges.setdefault((ends[0][0], ends[1][0], t["label"]), {"scores": [], "documents": []})
            edge["scores"].append(float(t["score"]))
            if record["id"] not in edge["documents"]:
                edge["documents"].append(record["id"])
    graph = nx.MultiDiGraph()
    for (head, tail, label), edge in sorted(edges.items()):
        if len(edge["scores"]) < min_count:
            continue
        for key in (head, tail):
            if key not in graph:
                graph.add_node(key, name=names[key].most_common(1)[0][0], label=key.split(":", 1)[0],
                               documents=len(node_docs[key]), triples=node_triples[key])
        graph.add_edge(head, tail, key=label, label=label, count=len(edge["scores"]),
                       mean_score=round(sum(edge["scores"]) / len(edge["scores"]), 4),
                       documents=";".join(edge["documents"]))
    return graph


def write_graph(graph, output_dir: Path) -> List[Path]:
    """graph.graphml plus nodes.csv and edges.csv (Gephi spreadsheet import headers; Neo4j LOAD CSV reads them too)."""
    nx = _networkx()
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    graphml = output_dir / "graph.graphml"
    nx.write_graphml(graph, graphml)
    nodes_csv, edges_csv = output_dir / "nodes.csv", output_dir / "edges.csv"
    with nodes_csv.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(NODE_COLUMNS)
        for key, data in graph.nodes(data=True):
            writer.writerow([key, data["name"], data["label"], data["documents"], data["triples"]])
    with edges_csv.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(EDGE_COLUMNS)
        for head, tail, data in graph.edges(data=True):
            writer.writerow([head, tail, "Directed", data["label"], data["count"], data["mean_score"], data["documents"]])
    return [graphml, nodes_csv, edges_csv]

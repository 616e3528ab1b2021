"""Evaluate a pipeline on a DocBin (NER and relations, end to end and on gold entities); tune thresholds."""
from pathlib import Path
from typing import Dict, Iterable, List, Sequence, Tuple

import numpy
from spacy.language import Language
from spacy.tokens import Doc, DocBin
from spacy.training import Example

from .docs import get_relations

THRESHOLD_GRID = tuple(round(x, 2) for x in numpy.arange(0.05, 0.96, 0.05))


def load_docs(nlp: Language, path: Path) -> List[Doc]:
    """The reference docs of a .spacy file, user data (relations, clusters) included."""
    return list(DocBin().from_disk(path).get_docs(nlp.vocab))


def reference_example(nlp: Language, reference: Doc, gold_tokens: bool = False) -> Example:
    """An Example whose predicted doc is the reference text re-tokenized, or (gold_tokens) its own words."""
    if gold_tokens:
        words = [t.text for t in reference]
        return Example(Doc(nlp.vocab, words=words, spaces=[bool(t.whitespace_) for t in reference]), reference)
    return Example(nlp.make_doc(reference.text), reference)


def evaluate_docs(nlp: Language, references: Sequence[Doc], batch_size: int = 32, gold_tokens: bool = False) -> Dict[str, object]:
    """spaCy's own evaluation: every component's scorer over the references."""
    examples = [reference_example(nlp, ref, gold_tokens) for ref in references]
    return nlp.evaluate(examples, batch_size=batch_size)


def summarize(scores: Dict[str, object]) -> Dict[str, object]:
    """The figures the reports show, from nlp.evaluate's scores."""
    keys = ("ents_p", "ents_r", "ents_f", "rel_micro_p", "rel_micro_r", "rel_micro_f", "rel_macro_f",
            "rel_cross_micro_f", "rel_gold_micro_p", "rel_gold_micro_r", "rel_gold_micro_f", "rel_gold_macro_f",
            "rel_gold_cross_micro_f", "triple_p", "triple_r", "triple_f", "cluster_b3_p", "cluster_b3_r", "cluster_b3_f", "speed")
    out = {k: scores[k] for k in keys if k in scores}
    for k in ("ents_per_type", "rel_f_per_type", "rel_gold_f_per_type"):
        if k in scores:
            out[k] = scores[k]
    return out


def metrics_markdown(metrics: Dict[str, object], title: str) -> str:
    """Markdown tables: NER per label and micro; relations per label, micro and macro, in both views."""
    pct = lambda v: f"{100 * float(v):.1f}"  # noqa: E731
    lines = [f"### {title}", "", "| NER | P | R | F |", "|---|---:|---:|---:|"]
    for label, s in sorted(metrics.get("ents_per_type", {}).items()):
        lines.append(f"| {label} | {pct(s['p'])} | {pct(s['r'])} | {pct(s['f'])} |")
    lines.append(f"| **micro** | {pct(metrics.get('ents_p', 0))} | {pct(metrics.get('ents_r', 0))} | {pct(metrics.get('ents_f', 0))} |")
    lines += ["", "| Relations (strict) | P end-to-end | R end-to-end | F end-to-end | P gold ents | R gold ents | F gold ents |", "|---|---:|---:|---:|---:|---:|---:|"]
    e2e, gold = metrics.get("rel_f_per_type", {}), metrics.get("rel_gold_f_per_type", {})
    for label in sorted(set(e2e) | set(gold)):
        a, b = e2e.get(label, {"p": 0, "r": 0, "f": 0}), gold.get(label, {"p": 0, "r": 0, "f": 0})
        lines.append(f"| {label} | {pct(a['p'])} | {pct(a['r'])} | {pct(a['f'])} | {pct(b['p'])} | {pct(b['r'])} | {pct(b['f'])} |")
    g = lambda k: pct(metrics.get(k, 0))  # noqa: E731
    lines.append(f"| **micro** | {g('rel_micro_p')} | {g('rel_micro_r')} | {g('rel_micro_f')} | {g('rel_gold_micro_p')} | {g('rel_gold_micro_r')} | {g('rel_gold_micro_f')} |")
    lines.append(f"| **macro F** | | | {g('rel_macro_f')} | | | {g('rel_gold_macro_f')} |")
    lines.append(f"| **cross-sentence micro F** | | | {g('rel_cross_micro_f')} | | | {g('rel_gold_cross_micro_f')} |")
    return "\n".join(lines) + "\n"


def gold_entity_scores(nlp: Language, references: Sequence[Doc], component: str, gold_tokens: bool = False) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """Scores and 0/1 truth of every candidate and label, the relation component run on gold entities."""
    pipe = nlp.get_pipe(component)
    all_scores, all_truth = [], []
    examples = [reference_example(nlp, ref, gold_tokens) for ref in references]
    docs = list(nlp.pipe((eg.predicted for eg in examples), disable=[component]))
    for doc, eg in zip(docs, examples):
        gold_eg = Example(doc, eg.reference)
        doc.ents = pipe._gold_spans(gold_eg)
        cands, scores = pipe.predict([doc])
        if len(cands[0]) == 0:
            continue
        all_scores.append(scores * pipe.label_mask(cands[0]))
        all_truth.append(pipe._truth(gold_eg, cands[0]))
    if not all_scores:
        return numpy.zeros((0, len(pipe.labels))), numpy.zeros((0, len(pipe.labels)))
    return numpy.concatenate(all_scores), numpy.concatenate(all_truth)


def best_thresholds(scores: numpy.ndarray, truth: numpy.ndarray, labels: Sequence[str], default: float = 0.5) -> Dict[str, float]:
    """Per label, the grid threshold with the best F1 on these scores (the default where no gold)."""
    chosen = {}
    for k, label in enumerate(labels):
        gold = truth[:, k] > 0
        if not gold.any():
            chosen[label] = default
            continue
        best_f, best_t = -1.0, default
        for t in THRESHOLD_GRID:
            pred = scores[:, k] >= t
            tp = float((pred & gold).sum())
            f = 2 * tp / (pred.sum() + gold.sum()) if (pred.sum() + gold.sum()) else 0.0
            if f > best_f:
                best_f, best_t = f, t
        chosen[label] = float(best_t)
    return chosen


def tune_thresholds(nlp: Language, references: Sequence[Doc], component: str = "relation_extractor", gold_tokens: bool = False) -> Dict[str, float]:
    """Set the component's per-label thresholds to those that maximise F1 on these documents."""
    pipe = nlp.get_pipe(component)
    scores, truth = gold_entity_scores(nlp, references, component, gold_tokens)
    thresholds = best_thresholds(scores, truth, pipe.labels)
    pipe.set_thresholds(thresholds)
    return thresholds


def triple_report(nlp: Language, reference: Doc) -> Tuple[str, int, int]:
    """Markdown comparison of gold and predicted entity-level triples of one document, with miss reasons."""
    from .docs import get_clusters
    from .pipeline.aliases import canonical_name, complete_gold_clusters
    from .scoring import mention_entities, triple_sets

    predicted = nlp(reference.text)
    labels = nlp.get_pipe("alias_clusters").labels if "alias_clusters" in nlp.pipe_names else ["PERSON", "ORG", "GPE", "LOC", "NORP"]
    pred, gold = triple_sets(predicted, reference, labels)
    clusters = complete_gold_clusters(reference, get_clusters(reference), labels)
    ids = mention_entities(reference, clusters, labels)
    names = {("c", k): canonical_name(c) for k, c in enumerate(clusters)}
    predicted_spans = {(e.start_char, e.end_char, e.label_) for e in predicted.ents}
    gold_rel = {(ids[(r.head.start_char, r.head.end_char)], r.label, ids[(r.tail.start_char, r.tail.end_char)]): r for r in get_relations(reference)}
    lines = ["| gold triple | found | why missed |", "|---|---|---|"]
    for key in sorted(gold, key=str):
        rel = gold_rel[key]
        head = names.get(key[0], rel.head.text)
        tail = names.get(key[2], rel.tail.text)
        reason = "" if key in pred else _miss_reason(rel, predicted_spans)
        lines.append(f"| {head} — {key[1]} — {tail} | {'yes' if key in pred else 'no'} | {reason} |")
    found = len(gold & pred)
    extra = len(pred - gold)
    lines.append("")
    lines.append(f"Recovered {found} of {len(gold)} gold triples; {extra} predicted triple(s) not in the gold set.")
    return "\n".join(lines) + "\n", found, len(gold)


def _miss_reason(rel, predicted_spans) -> str:
    """Why a gold relation was not predicted: an argument entity missed by ner, else the classifier."""
    missing = [s.text for s in (rel.head, rel.tail) if (s.start_char, s.end_char, s.label_) not in predicted_spans]
    if missing:
        return "ner missed " + ", ".join(f"'{m}'" for m in missing)
    return "both entities found; relation score under threshold"

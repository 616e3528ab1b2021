"""Strict mention-level relation scoring: both argument spans, their labels and the relation label."""
from collections import Counter, defaultdict
from typing import Callable, Dict, Iterable, List, Optional, Set, Tuple

from spacy.scorer import PRFScore
from spacy.training import Example
from spacy.util import registry

from .docs import get_relations

RelKey = Tuple[int, int, str, int, int, str, str]


def relation_keys(doc, cross_sentence_only: bool = False) -> Set[RelKey]:
    """The strict keys of a Doc's relations."""
    return {r.key() for r in get_relations(doc) if not cross_sentence_only or crosses_sentence(doc, r)}


def crosses_sentence(doc, relation) -> bool:
    """Whether a sentence-final token (. ! ? or a line break) lies between the two arguments."""
    first, second = sorted((relation.head, relation.tail), key=lambda s: s.start)
    return any(t.text in (".", "!", "?") or "\n" in t.text for t in doc[first.end : second.start])


def score_relation_sets(pairs: Iterable[Tuple[Set[RelKey], Set[RelKey]]], labels: Optional[Iterable[str]] = None, prefix: str = "rel") -> Dict[str, object]:
    """Micro and macro P/R/F and per-label scores from (predicted, gold) key sets per document."""
    micro = PRFScore()
    per_label: Dict[str, PRFScore] = defaultdict(PRFScore)
    for label in labels or ():
        per_label[label]
    for pred, gold in pairs:
        micro.tp += len(pred & gold)
        micro.fp += len(pred - gold)
        micro.fn += len(gold - pred)
        for key in pred | gold:
            score = per_label[key[-1]]
            if key in pred and key in gold:
                score.tp += 1
            elif key in pred:
                score.fp += 1
            else:
                score.fn += 1
    seen = [s for s in per_label.values() if s.tp + s.fn > 0]
    macro_f = sum(s.fscore for s in seen) / len(seen) if seen else 0.0
    return {
        f"{prefix}_micro_p": micro.precision,
        f"{prefix}_micro_r": micro.recall,
        f"{prefix}_micro_f": micro.fscore,
        f"{prefix}_macro_f": macro_f,
        f"{prefix}_f_per_type": {label: s.to_dict() for label, s in sorted(per_label.items())},
    }


def score_relations(examples: Iterable[Example], prefix: str = "rel", **kwargs) -> Dict[str, object]:
    """Score the relations on predicted docs against the reference docs (end to end)."""
    examples = list(examples)
    scores = score_relation_sets(((relation_keys(eg.predicted), relation_keys(eg.reference)) for eg in examples), prefix=prefix)
    cross = score_relation_sets(((relation_keys(eg.predicted, True), relation_keys(eg.reference, True)) for eg in examples), prefix=f"{prefix}_cross")
    scores[f"{prefix}_cross_micro_f"] = cross[f"{prefix}_cross_micro_f"]
    return scores


@registry.scorers("news_relations.relation_scorer.v1")
def make_relation_scorer() -> Callable[..., Dict[str, object]]:
    """The relation scorer, for the component's `scorer` setting."""
    return score_relations


def mention_entities(doc, clusters, labels) -> Dict[Tuple[int, int], object]:
    """Map each entity mention (char offsets) to an entity id: its cluster, else itself."""
    ids: Dict[Tuple[int, int], object] = {}
    for k, cluster in enumerate(clusters):
        for span in cluster:
            ids[(span.start_char, span.end_char)] = ("c", k)
    for ent in doc.ents:
        ids.setdefault((ent.start_char, ent.end_char), ("m", ent.start_char))
    return ids


def triple_sets(predicted, reference, labels: Iterable[str]) -> Tuple[Set[tuple], Set[tuple]]:
    """Entity-level triples of both docs, predicted entities mapped onto gold entities (DocRED-style)."""
    from .docs import get_clusters

    from .pipeline.aliases import complete_gold_clusters

    gold_ids = mention_entities(reference, complete_gold_clusters(reference, get_clusters(reference), labels), None)
    gold = {(gold_ids.get((r.head.start_char, r.head.end_char)), r.label, gold_ids.get((r.tail.start_char, r.tail.end_char)))
            for r in get_relations(reference)}
    pred_ids = mention_entities(predicted, get_clusters(predicted), None)
    members: Dict[object, List[Tuple[int, int]]] = defaultdict(list)
    for mention, entity in pred_ids.items():
        members[entity].append(mention)
    to_gold = {}
    for entity, mentions in members.items():
        votes = Counter(gold_ids[m] for m in mentions if m in gold_ids)
        to_gold[entity] = votes.most_common(1)[0][0] if votes else ("pred", entity)
    pred = set()
    for r in get_relations(predicted):
        h = pred_ids.get((r.head.start_char, r.head.end_char), ("m", r.head.start_char))
        t = pred_ids.get((r.tail.start_char, r.tail.end_char), ("m", r.tail.start_char))
        pred.add((to_gold.get(h, ("pred", h)), r.label, to_gold.get(t, ("pred", t))))
    return pred, gold


def b_cubed(predicted_clusters, gold_clusters) -> Tuple[float, float, int]:
    """Summed B-cubed precision and recall over the mentions both sides have, and their number."""
    pred_of = {m: frozenset(c) for c in predicted_clusters for m in c}
    gold_of = {m: frozenset(c) for c in gold_clusters for m in c}
    common = set(pred_of) & set(gold_of)
    p = sum(len(pred_of[m] & gold_of[m] & common) / len(pred_of[m] & common) for m in common)
    r = sum(len(pred_of[m] & gold_of[m] & common) / len(gold_of[m] & common) for m in common)
    return p, r, len(common)


def _cluster_keys(doc, clusters, labels) -> List[List[Tuple[int, int]]]:
    """Clusters as char-offset lists, with every other mention of a clustered label as a singleton."""
    out = [[(s.start_char, s.end_char) for s in c] for c in clusters]
    seen = {m for c in out for m in c}
    out += [[(e.start_char, e.end_char)] for e in doc.ents if e.label_ in labels and (e.start_char, e.end_char) not in seen]
    return out


def score_triples(examples: Iterable[Example], labels: Iterable[str] = ("PERSON", "ORG", "GPE", "LOC", "NORP"), **kwargs) -> Dict[str, object]:
    """Entity-level triple P/R/F (DocRED-style) and B-cubed cluster P/R/F over shared mentions."""
    from .docs import get_clusters
    from .pipeline.aliases import complete_gold_clusters

    labels = set(labels)
    triples = PRFScore()
    p_sum = r_sum = n = 0.0
    for eg in examples:
        pred, gold = triple_sets(eg.predicted, eg.reference, labels)
        triples.tp += len(pred & gold)
        triples.fp += len(pred - gold)
        triples.fn += len(gold - pred)
        p, r, k = b_cubed(_cluster_keys(eg.predicted, get_clusters(eg.predicted), labels), _cluster_keys(eg.reference, complete_gold_clusters(eg.reference, get_clusters(eg.reference), labels), labels))
        p_sum, r_sum, n = p_sum + p, r_sum + r, n + k
    bp, br = (p_sum / n, r_sum / n) if n else (0.0, 0.0)
    return {"triple_p": triples.precision, "triple_r": triples.recall, "triple_f": triples.fscore,
            "cluster_b3_p": bp, "cluster_b3_r": br, "cluster_b3_f": 2 * bp * br / (bp + br) if bp + br else 0.0}


@registry.scorers("news_relations.triple_scorer.v1")
def make_triple_scorer() -> Callable[..., Dict[str, object]]:
    """The entity-level scorer, for the alias_clusters component."""
    return score_triples

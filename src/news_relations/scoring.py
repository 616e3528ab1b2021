"""Strict mention-level relation scoring: both argument spans, their labels and the relation label."""
from collections import defaultdict
from typing import Callable, Dict, Iterable, Optional, Set, Tuple

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

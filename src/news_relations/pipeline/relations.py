"""The trainable relation extractor: candidate entity pairs in a token window, multi-label scores, thresholds."""
from itertools import islice
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from spacy.tokens import Doc, Span
from spacy.training import Example, validate_get_examples
from spacy.vocab import Vocab
from thinc.api import Config, Model, Optimizer, set_dropout_rate
from thinc.types import Floats2d

from ..docs import Relation, get_relations, sentence_end_flags, set_relations
from ..ml.relation_model import (
    BETWEEN,
    BETWEEN_BUCKETS,
    BETWEEN_HEAD_TYPE,
    BETWEEN_TAIL_TYPE,
    BREAK_BUCKETS,
    BREAKS,
    DIST,
    DISTANCE_BUCKETS,
    N_CANDIDATE_COLUMNS,
    bucket,
)
from ..schema import LabelScheme
from ..scoring import score_relations

DEFAULT_MODEL = """
[model]
@architectures = "news_relations.RelationClassifier.v1"
hidden_width = 128
dropout = 0.1
n_entity_types = 6
context_window = 3

[model.tok2vec]
@architectures = "spacy.HashEmbedCNN.v2"
pretrained_vectors = null
width = 96
depth = 2
embed_size = 2000
window_size = 1
maxout_pieces = 3
subword_features = true
"""
DEFAULT_MODEL_CONFIG = Config().from_str(DEFAULT_MODEL)["model"]


@Language.factory(
    "relation_extractor",
    assigns=["doc._.relations"],
    requires=["doc.ents"],
    default_config={
        "model": DEFAULT_MODEL_CONFIG,
        "scheme": {"@misc": "news_relations.scheme.v1", "name": "news"},
        "max_distance": 60,
        "threshold": 0.5,
        "negative_ratio": 0.0,
        "compose": False,
        "scorer": {"@scorers": "news_relations.relation_scorer.v1"},
    },
    default_score_weights={"rel_micro_f": 1.0, "rel_micro_p": 0.0, "rel_micro_r": 0.0, "rel_macro_f": 0.0, "rel_gold_micro_f": 0.0, "rel_cross_micro_f": 0.0},
)
def make_relation_extractor(nlp: Language, name: str, model: Model, scheme: LabelScheme, max_distance: int, threshold: float, negative_ratio: float, compose: bool, scorer: Optional[Callable]) -> "RelationExtractor":
    """Create a RelationExtractor (see its docstring)."""
    return RelationExtractor(nlp.vocab, model, name, scheme=scheme, max_distance=max_distance, threshold=threshold, negative_ratio=negative_ratio, compose=compose, scorer=scorer)


class RelationExtractor(TrainablePipe):
    """Scores every ordered pair of entities within `max_distance` tokens whose types the scheme allows.

    Trained on gold entities; at prediction it reads `doc.ents`. Labels over a per-label threshold are
    kept, argument types are enforced, and of exclusive labels (current/former) only the best survives.
    With `compose`, the scheme's compositions add the relations that predicted pairs imply
    (HAS_ROLE(X, chief) + ROLE_OF(chief, Acme) -> AFFILIATED_WITH(X, Acme)).
    """

    def __init__(self, vocab: Vocab, model: Model, name: str = "relation_extractor", *, scheme: LabelScheme, max_distance: int = 60, threshold: float = 0.5, negative_ratio: float = 0.0, compose: bool = False, scorer: Optional[Callable] = score_relations):
        self.vocab = vocab
        self.model = model
        self.name = name
        self.scheme = scheme
        self.scorer = scorer
        self.cfg = {
            "labels": list(scheme.relation_labels),
            "entity_labels": list(scheme.entity_labels),
            "thresholds": {label: float(threshold) for label in scheme.relation_labels},
            "max_distance": int(max_distance),
            "negative_ratio": float(negative_ratio),
            "compose": bool(compose),
        }
        self._cache: Dict[tuple, object] = {}

    @property
    def labels(self) -> Tuple[str, ...]:
        """The relation labels, in output order."""
        return tuple(self.cfg["labels"])

    @property
    def thresholds(self) -> Dict[str, float]:
        """Per-label decision thresholds (tuned on dev, stored with the component)."""
        return self.cfg["thresholds"]

    def set_thresholds(self, thresholds: Dict[str, float]) -> None:
        """Replace the decision thresholds of the given labels."""
        unknown = set(thresholds) - set(self.labels)
        if unknown:
            raise ValueError(f"Unknown relation label(s) for thresholds: {sorted(unknown)}")
        self.cfg["thresholds"].update({k: float(v) for k, v in thresholds.items()})

    # -- candidates ---------------------------------------------------------------------------
    def candidates(self, doc: Doc, spans: Optional[Sequence[Span]] = None) -> numpy.ndarray:
        """Rows (see ml.relation_model) for each ordered pair within the window that the scheme allows."""
        type_ids = {label: i for i, label in enumerate(self.cfg["entity_labels"])}
        ents = sorted(((s.start, s.end, s.label_) for s in (doc.ents if spans is None else spans)), key=lambda e: e[0])
        ents = [(start, end, type_ids[label]) for start, end, label in ents if label in type_ids]
        if len(ents) < 2:
            return numpy.zeros((0, N_CANDIDATE_COLUMNS), dtype="i")
        allowed = self._allowed_type_matrix()
        breaks = _sentence_breaks(doc)
        starts, ends, types = (numpy.asarray(col, dtype="int64") for col in zip(*ents))
        # Per type id, how many of the first k entities carry it: entities of a type between two others.
        seen = numpy.concatenate([numpy.zeros((1, len(type_ids)), dtype="int64"), numpy.cumsum(types[:, None] == numpy.arange(len(type_ids)), axis=0)])
        # Entities are sorted by start, so the partners of entity i within the window are i+1 .. last[i].
        last = numpy.searchsorted(starts, ends + self.cfg["max_distance"], side="right") - 1
        counts = numpy.maximum(last - numpy.arange(len(ents)), 0)
        first = numpy.repeat(numpy.arange(len(ents)), counts)
        second = first + 1 + numpy.arange(len(first)) - numpy.repeat(numpy.cumsum(counts) - counts, counts)
        # Each pair in both directions, in the order (first -> second), (second -> first).
        head = numpy.stack([first, second], axis=1).reshape(-1)
        tail = numpy.stack([second, first], axis=1).reshape(-1)
        keep = allowed[types[head], types[tail]]
        head, tail = head[keep], tail[keep]
        lo, hi = numpy.minimum(head, tail), numpy.maximum(head, tail)
        gap = numpy.maximum(starts[hi] - ends[lo], 0)
        n_breaks = breaks[numpy.maximum(starts[hi], ends[lo])] - breaks[ends[lo]]
        same_head = seen[hi, types[head]] - seen[lo + 1, types[head]]
        same_tail = seen[hi, types[tail]] - seen[lo + 1, types[tail]]
        columns = (starts[head], ends[head], starts[tail], ends[tail], types[head], types[tail], gap, n_breaks, hi - lo - 1, same_head, same_tail, (head < tail).astype("int64"))
        if len(head) == 0:
            return numpy.zeros((0, N_CANDIDATE_COLUMNS), dtype="i")
        cands = numpy.stack(columns, axis=1).astype("i")
        cands[:, DIST] = bucket(cands[:, DIST], DISTANCE_BUCKETS)
        cands[:, BREAKS] = bucket(cands[:, BREAKS], BREAK_BUCKETS)
        for col in (BETWEEN, BETWEEN_HEAD_TYPE, BETWEEN_TAIL_TYPE):
            cands[:, col] = bucket(cands[:, col], BETWEEN_BUCKETS)
        return cands

    def _allowed_type_pairs(self) -> frozenset:
        """Ordered (head label, tail label) pairs that some relation label allows."""
        labels = self.cfg["entity_labels"]
        return frozenset((h, t) for h in labels for t in labels if self.scheme.can_relate(h, t))

    def _allowed_type_matrix(self) -> numpy.ndarray:
        """allowed[head type id, tail type id]: some relation label allows the pair (cached per label set)."""
        key = ("type_pairs", tuple(self.cfg["entity_labels"]))
        if key not in self._cache:
            ids = {label: i for i, label in enumerate(self.cfg["entity_labels"])}
            allowed = numpy.zeros((len(ids), len(ids)), dtype=bool)
            for h, t in self._allowed_type_pairs():
                allowed[ids[h], ids[t]] = True
            self._cache[key] = allowed
        return self._cache[key]

    def _label_table(self) -> numpy.ndarray:
        """allowed[head type, tail type, label] = 1.0 where the scheme allows it (cached per label set)."""
        ent_labels = self.cfg["entity_labels"]
        key = ("labels", tuple(ent_labels), self.labels)
        if key not in self._cache:
            allowed = numpy.zeros((len(ent_labels), len(ent_labels), len(self.labels)), dtype="float32")
            for k, label in enumerate(self.labels):
                rtype = self.scheme.relation_type(label)
                for h, head in enumerate(ent_labels):
                    for t, tail in enumerate(ent_labels):
                        allowed[h, t, k] = float(rtype is not None and rtype.allows(head, tail))
            self._cache[key] = allowed
        return self._cache[key]

    def label_mask(self, cands: numpy.ndarray) -> numpy.ndarray:
        """1 where the scheme allows the label for the pair's argument types, else 0."""
        return self._label_table()[cands[:, 4], cands[:, 5]]

    # -- prediction ---------------------------------------------------------------------------
    def predict(self, docs: Iterable[Doc]) -> Tuple[List[numpy.ndarray], Floats2d]:
        """Candidate rows per doc and the sigmoid scores of all of them."""
        docs = list(docs)
        cands = [self.candidates(doc) for doc in docs]
        if sum(len(c) for c in cands) == 0:
            return cands, numpy.zeros((0, len(self.labels)), dtype="float32")
        logits = self.model.predict((docs, cands))
        return cands, _sigmoid(self.model.ops.to_numpy(logits))

    def set_annotations(self, docs: Iterable[Doc], predictions: Tuple[List[numpy.ndarray], Floats2d]) -> None:
        """Store the relations whose score passes the label's threshold, under the scheme's constraints."""
        cands, scores = predictions
        thresholds = numpy.asarray([self.thresholds[label] for label in self.labels], dtype="float32")
        ent_labels = self.cfg["entity_labels"]
        offset = 0
        for doc, doc_cands in zip(docs, cands):
            doc_scores = scores[offset : offset + len(doc_cands)] * self.label_mask(doc_cands)
            offset += len(doc_cands)
            doc_scores = self._exclusive(doc_scores)
            relations = []
            rows, ks = numpy.nonzero(doc_scores >= thresholds)
            for (hs, he, ts, te, ht, tt), k, score in zip(doc_cands[rows, :6].tolist(), ks.tolist(), doc_scores[rows, ks].tolist()):
                relations.append(Relation(Span(doc, hs, he, label=ent_labels[ht]), self.labels[k], Span(doc, ts, te, label=ent_labels[tt]), score))
            if self.cfg.get("compose", False):
                relations += implied_relations(relations, self.scheme)
            set_relations(doc, relations)

    def _exclusive(self, scores: numpy.ndarray) -> numpy.ndarray:
        """Zero every label of an exclusive group except the highest-scoring one, per pair."""
        scores = scores.copy()
        for group in self.scheme.exclusive_groups:
            cols = [self.labels.index(label) for label in group if label in self.labels]
            if len(cols) < 2:
                continue
            block = scores[:, cols]
            keep = block == block.max(axis=1, keepdims=True)
            keep &= numpy.cumsum(keep, axis=1) == 1
            scores[:, cols] = block * keep
        return scores

    # -- training -----------------------------------------------------------------------------
    def _gold_spans(self, eg: Example) -> List[Span]:
        """The reference entities, placed on the predicted doc's tokens."""
        spans = []
        for ent in eg.reference.ents:
            span = eg.predicted.char_span(ent.start_char, ent.end_char, label=ent.label_, alignment_mode="expand")
            if span is not None:
                spans.append(span)
        return spans

    def _truth(self, eg: Example, cands: numpy.ndarray) -> numpy.ndarray:
        """The 0/1 target of every candidate and label from the reference relations."""
        gold = {}
        for rel in get_relations(eg.reference):
            head = eg.predicted.char_span(rel.head.start_char, rel.head.end_char, alignment_mode="expand")
            tail = eg.predicted.char_span(rel.tail.start_char, rel.tail.end_char, alignment_mode="expand")
            if head is not None and tail is not None and rel.label in self.labels:
                gold.setdefault((head.start, head.end, tail.start, tail.end), set()).add(self.labels.index(rel.label))
        truth = numpy.zeros((len(cands), len(self.labels)), dtype="float32")
        if gold:
            for row, cand in enumerate(cands[:, :4].tolist()):
                for k in gold.get(tuple(cand), ()):
                    truth[row, k] = 1.0
        return truth

    def _training_instances(self, examples: Sequence[Example]) -> Tuple[List[numpy.ndarray], numpy.ndarray]:
        """Candidates on gold entities per doc, negatives subsampled when negative_ratio > 0."""
        cands, truths = [], []
        ratio = self.cfg["negative_ratio"]
        for eg in examples:
            doc_cands = self.candidates(eg.predicted, self._gold_spans(eg))
            truth = self._truth(eg, doc_cands)
            if ratio > 0 and len(doc_cands):
                positive = truth.sum(axis=1) > 0
                n_keep = int(max(1, ratio * positive.sum()))
                negatives = numpy.flatnonzero(~positive)
                if len(negatives) > n_keep:
                    drop = numpy.random.permutation(negatives)[n_keep:]
                    keep = numpy.setdiff1d(numpy.arange(len(doc_cands)), drop)
                    doc_cands, truth = doc_cands[keep], truth[keep]
            cands.append(doc_cands)
            truths.append(truth)
        return cands, numpy.concatenate(truths) if truths else numpy.zeros((0, len(self.labels)), "f")

    def update(self, examples: Iterable[Example], *, drop: float = 0.0, sgd: Optional[Optimizer] = None, losses: Optional[Dict[str, float]] = None) -> Dict[str, float]:
        """Learn from one batch: binary cross-entropy over the allowed labels of each candidate."""
        losses = {} if losses is None else losses
        losses.setdefault(self.name, 0.0)
        examples = list(examples)
        cands, truth = self._training_instances(examples)
        if len(truth) == 0:
            return losses
        set_dropout_rate(self.model, drop)
        logits, backprop = self.model.begin_update(([eg.predicted for eg in examples], cands))
        loss, d_logits = self.get_loss(examples, (numpy.concatenate(cands), logits, truth))
        backprop(d_logits)
        if sgd is not None:
            self.finish_update(sgd)
        losses[self.name] += loss
        return losses

    def get_loss(self, examples: Iterable[Example], scores) -> Tuple[float, Floats2d]:
        """Mean binary cross-entropy over allowed labels, and its gradient w.r.t. the logits."""
        cands, logits, truth = scores
        ops = self.model.ops
        mask = self.label_mask(cands)
        probs = _sigmoid(ops.to_numpy(logits))
        n = max(len(truth), 1)
        gradient = (probs - truth) * mask / n
        eps = 1e-7
        loss = -(truth * numpy.log(probs + eps) + (1 - truth) * numpy.log(1 - probs + eps)) * mask
        return float(loss.sum() / n), ops.asarray2f(gradient)

    def initialize(self, get_examples: Callable[[], Iterable[Example]], *, nlp: Optional[Language] = None, labels: Optional[Dict] = None) -> None:
        """Size the output layer from the scheme and initialize the model on a sample of examples."""
        validate_get_examples(get_examples, "RelationExtractor.initialize")
        if labels:
            self.cfg.update(labels)
        self.model.get_ref("pair_features").attrs["n_types"] = len(self.cfg["entity_labels"])
        self.model.get_ref("output_layer").set_dim("nO", len(self.labels))
        sample = list(islice(get_examples(), 10))
        docs = [eg.predicted for eg in sample]
        cands = [self.candidates(eg.predicted, self._gold_spans(eg)) for eg in sample]
        self.model.initialize(X=(docs, cands))

    def add_label(self, label: str) -> int:
        """Labels come from the scheme; adding one outside it is an error."""
        raise NotImplementedError(f"Relation labels come from the scheme '{self.scheme.name}'; cannot add '{label}'")

    # -- scoring ------------------------------------------------------------------------------
    def score(self, examples: Iterable[Example], **kwargs) -> Dict[str, object]:
        """End-to-end scores (relations on predicted entities) and, prefixed rel_gold_, on gold entities."""
        examples = list(examples)
        scores = self.scorer(examples, **kwargs) if self.scorer else {}
        gold_docs = [self._with_gold_entities(eg) for eg in examples]
        self.set_annotations(gold_docs, self.predict(gold_docs))
        gold_scores = score_relations([Example(doc, eg.reference) for doc, eg in zip(gold_docs, examples)], prefix="rel_gold")
        scores.update(gold_scores)
        return scores

    def _with_gold_entities(self, eg: Example) -> Doc:
        """A copy of the predicted doc (its tensors included) carrying the reference entities."""
        doc = eg.predicted.copy()
        doc.ents = self._gold_spans(Example(doc, eg.reference))
        return doc


def implied_relations(relations: Sequence[Relation], scheme: LabelScheme) -> List[Relation]:
    """Relations the scheme's compositions imply, scored by the weaker premise, for pairs that have none of the
    implied label's exclusive group yet (an explicit prediction for the pair stands)."""
    span_key = lambda s: (s.start, s.end)  # noqa: E731
    labels_of_pair: Dict[tuple, set] = {}
    by_head: Dict[tuple, List[Relation]] = {}
    for rel in relations:
        labels_of_pair.setdefault((span_key(rel.head), span_key(rel.tail)), set()).add(rel.label)
        by_head.setdefault((span_key(rel.head), rel.label), []).append(rel)
    implied: Dict[tuple, Relation] = {}
    for first, second, result in scheme.compositions:
        rtype = scheme.relation_type(result)
        group = {result, *scheme.exclusive_partners(result)}
        for rel in relations:
            if rel.label != first:
                continue
            for onward in by_head.get((span_key(rel.tail), second), []):
                pair = (span_key(rel.head), span_key(onward.tail))
                if not rtype.allows(rel.head.label_, onward.tail.label_) or labels_of_pair.get(pair, set()) & group:
                    continue
                score = min(rel.score, onward.score)
                if pair not in implied or score > implied[pair].score:
                    implied[pair] = Relation(rel.head, result, onward.tail, score)
    return list(implied.values())


def _sentence_breaks(doc: Doc) -> numpy.ndarray:
    """Cumulative count of sentence-ending tokens before each token index (length len(doc) + 1)."""
    return numpy.concatenate([[0], numpy.cumsum(sentence_end_flags(doc))]).astype("int64")


def _sigmoid(x: numpy.ndarray) -> numpy.ndarray:
    return 1.0 / (1.0 + numpy.exp(-x))

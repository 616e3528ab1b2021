"""Thinc architectures of the relation classifier: pooled pair features from a shared tok2vec."""
from typing import Callable, List, Tuple

import numpy
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Linear, Model, Relu, chain, with_array
from thinc.types import Floats2d, Ints2d

# Columns of a candidate row: head start/end, tail start/end (token offsets), head and tail type ids,
# token-distance bucket, sentence-break bucket, bucket of entities between (all; of the head's label;
# of the tail's label), head-first flag.
HS, HE, TS, TE, HTYPE, TTYPE, DIST, BREAKS, BETWEEN, BETWEEN_HEAD_TYPE, BETWEEN_TAIL_TYPE, HEAD_FIRST = range(12)
N_CANDIDATE_COLUMNS = 12
DISTANCE_BUCKETS = (0, 1, 2, 3, 4, 6, 9, 14, 21, 32, 48, 72)
BREAK_BUCKETS = (0, 1, 2, 3)
BETWEEN_BUCKETS = (0, 1, 2, 3, 5, 8)
N_POOLED = 7  # head, tail, gap, and the left and right context of head and tail

PairInput = Tuple[List[Doc], List[Ints2d]]


def bucket(values: numpy.ndarray, edges: Tuple[int, ...]) -> numpy.ndarray:
    """Index of the bucket each value falls in (the last bucket is open-ended)."""
    return numpy.searchsorted(numpy.asarray(edges[1:]), values, side="right")


@registry.architectures("news_relations.RelationClassifier.v1")
def build_relation_classifier(tok2vec: Model[List[Doc], List[Floats2d]], hidden_width: int = 128, dropout: float = 0.1, n_entity_types: int = 6, context_window: int = 3, max_pool_gap: bool = False) -> Model[PairInput, Floats2d]:
    """Pair features (means of head, tail, gap and argument contexts, optional max of the gap; types, distance) -> ReLU -> label logits."""
    features = pair_features(tok2vec, n_entity_types, context_window, max_pool_gap)
    output_layer = Linear()
    model = chain(features, Relu(nO=hidden_width, dropout=dropout), output_layer)
    model.set_ref("tok2vec", tok2vec)
    model.set_ref("pair_features", features)
    model.set_ref("output_layer", output_layer)
    return model


@registry.architectures("news_relations.EncodedTok2Vec.v1")
def build_encoded_tok2vec(tok2vec: Model[List[Doc], List[Floats2d]], width: int, depth: int = 0, window_size: int = 1, maxout_pieces: int = 3) -> Model[List[Doc], List[Floats2d]]:
    """Shared token vectors, re-encoded by `depth` residual CNN layers of this component's own (0: unchanged).

    The layers are spaCy's `MaxoutWindowEncoder.v2` (each residual), so a relation head sees further than the
    shared tok2vec's receptive field without changing what the NER sees.
    """
    if depth == 0:
        return tok2vec
    encode = registry.architectures.get("spacy.MaxoutWindowEncoder.v2")(width=width, window_size=window_size, maxout_pieces=maxout_pieces, depth=depth)
    model = chain(tok2vec, with_array(encode))
    model.set_ref("tok2vec", tok2vec)
    return model


def pair_features(tok2vec: Model[List[Doc], List[Floats2d]], n_entity_types: int, context_window: int = 3, max_pool_gap: bool = False) -> Model[PairInput, Floats2d]:
    """Per candidate: mean vectors of head, tail, the gap and `context_window` tokens around each argument, optionally the gap's max, plus one-hots."""
    return Model(
        "pair_features",
        _pair_features_forward,
        init=_init_pair_features,
        layers=[tok2vec],
        dims={"nO": None},
        attrs={"n_types": n_entity_types, "context_window": context_window, "max_pool_gap": max_pool_gap},
    )


def _init_pair_features(model: Model, X=None, Y=None) -> Model:
    tok2vec = model.layers[0]
    if X is not None:
        tok2vec.initialize(X=X[0])
    else:
        tok2vec.initialize()
    width = tok2vec.get_dim("nO")
    n_one_hot = 2 * model.attrs["n_types"] + len(DISTANCE_BUCKETS) + len(BREAK_BUCKETS) + 3 * len(BETWEEN_BUCKETS) + 2
    n_pooled = N_POOLED + int(model.attrs["max_pool_gap"])
    model.set_dim("nO", n_pooled * width + n_one_hot)
    return model


def _pair_features_forward(model: Model, X: PairInput, is_train: bool) -> Tuple[Floats2d, Callable]:
    docs, candidates = X
    tokvecs, backprop_tok2vec = model.layers[0](docs, is_train)
    ops = model.ops
    xp = ops.xp
    lengths = [len(doc) for doc in docs]
    n_tokens = sum(lengths)
    width = model.layers[0].get_dim("nO")
    starts = numpy.cumsum([0] + lengths[:-1])
    rows = [numpy.asarray(c).reshape(-1, N_CANDIDATE_COLUMNS) for c in candidates]
    cands = numpy.concatenate(rows or [numpy.zeros((0, N_CANDIDATE_COLUMNS), "i")])
    shift = numpy.concatenate([numpy.full(len(c), s) for c, s in zip(rows, starts)] or [numpy.zeros(0)]).astype("i")
    doc_end = numpy.concatenate([numpy.full(len(c), s + n) for c, s, n in zip(rows, starts, lengths)] or [numpy.zeros(0)]).astype("i")
    if cands.shape[0] == 0:
        def backprop_empty(dY: Floats2d):
            return backprop_tok2vec([ops.alloc2f(n, width) for n in lengths])
        return ops.alloc2f(0, model.get_dim("nO")), backprop_empty
    flat = ops.flatten(tokvecs) if n_tokens else ops.alloc2f(0, width)
    cumsum = xp.concatenate([xp.zeros((1, width), dtype="float64"), xp.cumsum(flat.astype("float64"), axis=0)])
    spans = _pooled_spans(cands, shift, doc_end, model.attrs["context_window"])
    pooled = []
    for start, end in spans:
        s, e = ops.asarray1i(start), ops.asarray1i(end)
        n = xp.maximum(e - s, 1)[:, None]
        pooled.append(((cumsum[e] - cumsum[s]) / n).astype("float32"))
    if model.attrs["max_pool_gap"]:
        gap_start, gap_end = spans[2]
        gap_max, backprop_gap_max = _gap_max(ops, flat, gap_start, gap_end)
        pooled.append(gap_max)
    one_hot = _one_hot_features(cands, model.attrs["n_types"])
    output = xp.hstack(pooled + [ops.asarray2f(one_hot)])

    def backprop(dY: Floats2d):
        grad = xp.zeros((n_tokens + 1, width), dtype="float64")
        for k, (start, end) in enumerate(spans):
            s, e = ops.asarray1i(start), ops.asarray1i(end)
            d = dY[:, k * width : (k + 1) * width].astype("float64") / xp.maximum(e - s, 1)[:, None]
            _scatter_add(xp, grad, s, d)
            _scatter_add(xp, grad, e, -d)
        d_flat = xp.cumsum(grad, axis=0)[:n_tokens].astype("float32")
        if model.attrs["max_pool_gap"]:
            k = len(spans)
            d_flat += backprop_gap_max(dY[:, k * width : (k + 1) * width])
        return backprop_tok2vec(ops.unflatten(d_flat, lengths))

    return output, backprop


def _gap_max(ops, flat: Floats2d, starts: numpy.ndarray, ends: numpy.ndarray) -> Tuple[Floats2d, Callable]:
    """Element-wise max over tokens[start:end] per candidate (zeros for an empty gap), and its backprop."""
    n_rows, width = len(starts), flat.shape[1]
    lengths = numpy.maximum(ends - starts, 0)
    nonempty = numpy.flatnonzero(lengths)
    seg_lengths = lengths[nonempty]
    seg_offsets = numpy.cumsum(seg_lengths) - seg_lengths
    index = numpy.arange(int(seg_lengths.sum())) - numpy.repeat(seg_offsets - starts[nonempty], seg_lengths)
    output = ops.alloc2f(n_rows, width)
    if len(nonempty) == 0:
        return output, lambda dY: ops.alloc2f(flat.shape[0], width)
    index_x = ops.asarray1i(index)
    maxes, which = ops.reduce_max(flat[index_x], ops.asarray1i(seg_lengths))
    output[ops.asarray1i(nonempty)] = maxes

    def backprop(dY: Floats2d) -> Floats2d:
        d_rows = ops.backprop_reduce_max(ops.as_contig(dY[ops.asarray1i(nonempty)]), which, ops.asarray1i(seg_lengths))
        d_flat = ops.xp.zeros((flat.shape[0], width), dtype="float32")
        _scatter_add(ops.xp, d_flat, index_x, d_rows)
        return d_flat

    return output, backprop


def _pooled_spans(cands: numpy.ndarray, shift: numpy.ndarray, doc_end: numpy.ndarray, window: int) -> List[Tuple[numpy.ndarray, numpy.ndarray]]:
    """Global token ranges: head, tail, the gap between them, and the context left and right of each."""
    hs, he, ts, te = (cands[:, col] + shift for col in (HS, HE, TS, TE))
    head_first = hs < ts
    gap_start = numpy.where(head_first, he, te)
    gap_end = numpy.maximum(numpy.where(head_first, ts, hs), gap_start)
    left = lambda s: numpy.maximum(s - window, shift)  # noqa: E731
    right = lambda e: numpy.minimum(e + window, doc_end)  # noqa: E731
    return [(hs, he), (ts, te), (gap_start, gap_end), (left(hs), hs), (he, right(he)), (left(ts), ts), (te, right(te))]


def _one_hot_features(cands: numpy.ndarray, n_types: int) -> numpy.ndarray:
    """One-hot head type, tail type, distance bucket and sentence-break bucket."""
    n = cands.shape[0]
    blocks = []
    for col, size in ((HTYPE, n_types), (TTYPE, n_types), (DIST, len(DISTANCE_BUCKETS)), (BREAKS, len(BREAK_BUCKETS)), (BETWEEN, len(BETWEEN_BUCKETS)),
                      (BETWEEN_HEAD_TYPE, len(BETWEEN_BUCKETS)), (BETWEEN_TAIL_TYPE, len(BETWEEN_BUCKETS)), (HEAD_FIRST, 2)):
        block = numpy.zeros((n, size), dtype="float32")
        block[numpy.arange(n), numpy.clip(cands[:, col], 0, size - 1)] = 1.0
        blocks.append(block)
    return numpy.hstack(blocks)


def _scatter_add(xp, target, index, values) -> None:
    """target[index] += values, summing repeated indices (numpy or cupy)."""
    if hasattr(xp, "add") and hasattr(xp.add, "at"):
        xp.add.at(target, index, values)
    else:  # cupy
        import cupyx

        cupyx.scatter_add(target, index, values)

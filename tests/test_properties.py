"""Property-based tests: brat and Prodigy round trips keep every annotation; candidate pairs match a brute force."""
import json
from functools import lru_cache
from itertools import combinations

import spacy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.tokens import Doc, Span

from news_relations.docs import get_clusters, get_relations
from news_relations.io.annotations import AnnotatedText, EntityAnn, EquivAnn, RelationAnn, check_annotations, drop_invalid
from news_relations.io.brat import format_ann, parse_ann
from news_relations.io.prodigy import read_prodigy
from news_relations.io.spacy_docs import annotated_to_doc, doc_to_annotated
from news_relations.schema import CONLL04_SCHEME, NEWS_SCHEME

NLP = spacy.blank("en")
SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
LETTERS = st.characters(categories=["Lu", "Ll", "Nd"], max_codepoint=0x4FF)
WORDS = st.lists(st.text(LETTERS, min_size=1, max_size=8), min_size=1, max_size=40)
SEPARATORS = st.sampled_from([" ", " ", " ", "\n", "  ", ", "])


@st.composite
def annotated_texts(draw) -> AnnotatedText:
    """Random words; entities on non-overlapping token ranges of the blank tokenizer; relations and Equivs among them."""
    words = draw(WORDS)
    seps = draw(st.lists(SEPARATORS, min_size=len(words), max_size=len(words)))
    text = "".join(w + s for w, s in zip(words, seps)).rstrip()
    doc = NLP.make_doc(text)
    tokens = [t.i for t in doc if not t.is_space and t.text != ","]
    starts = sorted(draw(st.sets(st.sampled_from(tokens), max_size=min(8, len(tokens)))))
    entities = []
    for k, start in enumerate(starts):
        limit = starts[k + 1] if k + 1 < len(starts) else len(doc)
        end = draw(st.integers(start + 1, min(start + 3, limit)))
        while end > start + 1 and (doc[end - 1].is_space or "\n" in doc[start:end].text):
            end -= 1
        span = doc[start:end]
        label = draw(st.sampled_from(NEWS_SCHEME.entity_labels))
        entities.append(EntityAnn(f"T{k + 1}", label, span.start_char, span.end_char, span.text, k + 1))
    relations = []
    for a, b in combinations(entities, 2):
        head, tail = (a, b) if draw(st.booleans()) else (b, a)
        allowed = NEWS_SCHEME.allowed_labels(head.label, tail.label)
        if allowed and draw(st.booleans()):
            relations.append(RelationAnn(f"R{len(relations) + 1}", draw(st.sampled_from(allowed)), head.id, tail.id, 100 + len(relations)))
    equivs = []
    by_label = {}
    for ent in entities:
        by_label.setdefault(ent.label, []).append(ent.id)
    for label, ids in by_label.items():
        if label in NEWS_SCHEME.clustered_labels and len(ids) > 1 and draw(st.booleans()):
            equivs.append(EquivAnn(ids, 200 + len(equivs)))
    ann = AnnotatedText(name="generated", text=text, entities=entities, relations=relations, equivs=equivs)
    return drop_invalid(ann, check_annotations(ann, NEWS_SCHEME, "generated.ann"))


def _entity_keys(ann: AnnotatedText):
    return sorted((e.label, e.start, e.end, e.surface) for e in ann.entities)


def _relation_keys(ann: AnnotatedText):
    ents = ann.entity_by_id()
    return sorted((r.label, ents[r.head].start, ents[r.head].end, ents[r.tail].start, ents[r.tail].end) for r in ann.relations)


def _equiv_keys(ann: AnnotatedText):
    ents = ann.entity_by_id()
    return sorted(tuple(sorted((ents[i].start, ents[i].end) for i in eq.ids)) for eq in ann.equivs)


@SETTINGS
@given(annotated_texts())
def test_brat_doc_brat_keeps_every_annotation(ann):
    parsed, problems = parse_ann(format_ann(ann), ann.text, ann.name, "generated.ann")
    assert problems == [] and check_annotations(parsed, NEWS_SCHEME, "generated.ann") == []
    doc, placed = annotated_to_doc(NLP, parsed, "generated.ann")
    assert placed == []
    back = doc_to_annotated(doc, ann.name)
    assert back.text == ann.text
    assert _entity_keys(back) == _entity_keys(ann)
    assert _relation_keys(back) == _relation_keys(ann)
    assert _equiv_keys(back) == _equiv_keys(ann)
    again, problems = parse_ann(format_ann(back), back.text, back.name, "again.ann")
    assert problems == [] and _relation_keys(again) == _relation_keys(ann)


@st.composite
def prodigy_records(draw) -> dict:
    """A rel.manual record: tokens with ws flags, spans on token ranges, relations among spans, an answer."""
    words = draw(WORDS)
    spaces = draw(st.lists(st.booleans(), min_size=len(words), max_size=len(words)))
    doc = Doc(NLP.vocab, words=words, spaces=spaces)
    tokens = [{"text": t.text, "start": t.idx, "end": t.idx + len(t), "id": t.i, "ws": bool(t.whitespace_)} for t in doc]
    starts = sorted(draw(st.sets(st.integers(0, len(doc) - 1), max_size=min(6, len(doc)))))
    spans = []
    for k, start in enumerate(starts):
        limit = starts[k + 1] if k + 1 < len(starts) else len(doc)
        end = draw(st.integers(start + 1, min(start + 2, limit)))
        span = Span(doc, start, end)
        spans.append({"start": span.start_char, "end": span.end_char, "token_start": start, "token_end": end - 1,
                      "label": draw(st.sampled_from(NEWS_SCHEME.entity_labels))})
    relations = []
    for a, b in combinations(spans, 2):
        head, tail = (a, b) if draw(st.booleans()) else (b, a)
        allowed = NEWS_SCHEME.allowed_labels(head["label"], tail["label"])
        if allowed and draw(st.booleans()):
            relations.append({"head": head["token_end"], "child": tail["token_end"], "head_span": head, "child_span": tail,
                              "label": draw(st.sampled_from(allowed))})
    answer = draw(st.sampled_from(["accept", "accept", "reject", "ignore"]))
    return {"text": doc.text, "tokens": tokens, "spans": spans, "relations": relations, "answer": answer}


@SETTINGS
@given(st.lists(prodigy_records(), min_size=1, max_size=4))
def test_prodigy_to_doc_keeps_every_accepted_span_and_relation(tmp_path_factory, records):
    path = tmp_path_factory.mktemp("prodigy") / "records.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    docs, problems, skipped = read_prodigy(path, NLP.vocab, NEWS_SCHEME)
    accepted = [r for r in records if r["answer"] == "accept"]
    assert problems == []
    assert len(docs) == len(accepted)
    assert sum(skipped.values()) == len(records) - len(accepted)
    for doc, record in zip(docs, accepted):
        assert doc.text == record["text"]
        assert sorted((e.start_char, e.end_char, e.label_) for e in doc.ents) == sorted((s["start"], s["end"], s["label"]) for s in record["spans"])
        got = sorted((r.head.start_char, r.head.end_char, r.label, r.tail.start_char, r.tail.end_char) for r in get_relations(doc))
        want = sorted((r["head_span"]["start"], r["head_span"]["end"], r["label"], r["child_span"]["start"], r["child_span"]["end"]) for r in record["relations"])
        assert got == want
        assert get_clusters(doc) == []


@lru_cache(maxsize=None)
def _pipe_for(scheme_name: str):
    """One untrained relation_extractor per scheme (candidates need no weights)."""
    nlp = spacy.blank("en")
    return nlp.add_pipe("relation_extractor", config={"scheme": {"@misc": "news_relations.scheme.v1", "name": scheme_name}})


def _relation_pipe(scheme_name: str, max_distance: int):
    pipe = _pipe_for(scheme_name)
    pipe.cfg["max_distance"] = max_distance
    return None, pipe


def brute_force_pairs(spans, scheme, max_distance):
    """Every ordered pair of distinct entities whose token gap is within the window and whose types may relate."""
    pairs = []
    for a, b in combinations(sorted(spans, key=lambda s: s.start), 2):
        if b.start - a.end <= max_distance:
            pairs += [(h.start, h.end, t.start, t.end) for h, t in ((a, b), (b, a)) if scheme.can_relate(h.label_, t.label_)]
    return sorted(pairs)


@st.composite
def docs_with_entities(draw, labels):
    """A doc of n tokens with non-overlapping 1-3 token entities of the given labels."""
    n = draw(st.integers(1, 120))
    doc = Doc(NLP.vocab, words=[f"w{i}" for i in range(n)])
    starts = sorted(draw(st.sets(st.integers(0, n - 1), max_size=min(25, n))))
    ents = []
    for k, start in enumerate(starts):
        limit = starts[k + 1] if k + 1 < len(starts) else n
        ents.append(Span(doc, start, draw(st.integers(start + 1, min(start + 3, limit))), label=draw(st.sampled_from(labels))))
    doc.ents = ents
    return doc


@SETTINGS
@given(docs_with_entities(["Peop", "Loc"]), st.integers(0, 40))
def test_candidates_each_pair_within_window_once_per_direction(doc, max_distance):
    """conll04 allows Peop->Peop (Kill) and Loc->Loc (Located_In): same-type pairs are candidates both ways."""
    _, pipe = _relation_pipe("conll04", max_distance)
    rows = [tuple(int(v) for v in row[:4]) for row in pipe.candidates(doc)]
    assert len(rows) == len(set(rows))
    assert sorted(rows) == brute_force_pairs(doc.ents, CONLL04_SCHEME, max_distance)
    for a, b in combinations(doc.ents, 2):
        if a.label_ == b.label_ and abs(b.start - a.end) <= max_distance:
            assert rows.count((a.start, a.end, b.start, b.end)) == 1 and rows.count((b.start, b.end, a.start, a.end)) == 1


@SETTINGS
@given(docs_with_entities(list(NEWS_SCHEME.entity_labels)), st.integers(0, 40))
def test_candidates_match_brute_force_under_news_scheme(doc, max_distance):
    _, pipe = _relation_pipe("news", max_distance)
    rows = sorted(tuple(int(v) for v in row[:4]) for row in pipe.candidates(doc))
    assert rows == brute_force_pairs(doc.ents, NEWS_SCHEME, max_distance)


def reference_candidate_rows(doc, pipe):
    """All twelve columns, pair by pair in plain Python (the vectorized `candidates` must equal this)."""
    from news_relations.ml.relation_model import BETWEEN_BUCKETS, BREAK_BUCKETS, DISTANCE_BUCKETS

    type_ids = {label: i for i, label in enumerate(pipe.cfg["entity_labels"])}
    ents = sorted((e.start, e.end, type_ids[e.label_]) for e in doc.ents if e.label_ in type_ids)
    ends_sentence = [t.text in (".", "!", "?") or "\n" in t.text for t in doc]
    bucket = lambda v, edges: sum(1 for edge in edges[1:] if v >= edge)  # noqa: E731
    labels = pipe.cfg["entity_labels"]
    rows = []
    for i, first in enumerate(ents):
        for j in range(i + 1, len(ents)):
            second = ents[j]
            if second[0] - first[1] > pipe.cfg["max_distance"]:
                break
            gap = max(second[0] - first[1], 0)
            n_breaks = sum(ends_sentence[first[1]:max(second[0], first[1])])
            for head, tail, head_first in ((first, second, 1), (second, first, 0)):
                if pipe.scheme.can_relate(labels[head[2]], labels[tail[2]]):
                    same_head = sum(1 for e in ents[i + 1:j] if e[2] == head[2])
                    same_tail = sum(1 for e in ents[i + 1:j] if e[2] == tail[2])
                    rows.append((head[0], head[1], tail[0], tail[1], head[2], tail[2], bucket(gap, DISTANCE_BUCKETS), bucket(n_breaks, BREAK_BUCKETS),
                                 bucket(j - i - 1, BETWEEN_BUCKETS), bucket(same_head, BETWEEN_BUCKETS), bucket(same_tail, BETWEEN_BUCKETS), head_first))
    return rows


@SETTINGS
@given(docs_with_entities(list(NEWS_SCHEME.entity_labels)), st.integers(0, 40), st.sets(st.integers(0, 119)))
def test_candidate_rows_equal_the_pairwise_reference(doc, max_distance, full_stops):
    """Every column (distance, sentence breaks, entities between, direction), in the same row order."""
    inside = {k for e in doc.ents for k in range(e.start, e.end)}
    words = ["." if k in full_stops and k not in inside else t.text for k, t in enumerate(doc)]
    with_stops = Doc(doc.vocab, words=words)
    with_stops.ents = [Span(with_stops, e.start, e.end, label=e.label_) for e in doc.ents]
    _, pipe = _relation_pipe("news", max_distance)
    assert [tuple(int(v) for v in row) for row in pipe.candidates(with_stops)] == reference_candidate_rows(with_stops, pipe)

"""Quality gates of the annotated corpus: statistics, near-duplicates, labelling consistency."""
import re
from collections import Counter, defaultdict
from statistics import median
from typing import Dict, Iterable, List, Sequence, Tuple

from .io.annotations import AnnotatedText

WORD = re.compile(r"\w+", re.UNICODE)
SENTENCE_BREAK = re.compile(r"[.!?][\"'”’)]*\s|\n")


def words(text: str) -> List[str]:
    """Lowercased word tokens of a text."""
    return [w.lower() for w in WORD.findall(text)]


def crosses_sentence(doc: AnnotatedText, head_id: str, tail_id: str) -> bool:
    """Whether a sentence break (. ! ? followed by space, or a line break) lies between two mentions."""
    ents = doc.entity_by_id()
    first, second = sorted((ents[head_id], ents[tail_id]), key=lambda e: e.start)
    return bool(SENTENCE_BREAK.search(doc.text[first.end : second.start]))


def corpus_stats(docs: Sequence[AnnotatedText]) -> Dict[str, object]:
    """Counts per entity and relation label, per form, topic and region; words; cross-sentence share."""
    ent_counts: Counter = Counter()
    rel_counts: Counter = Counter()
    meta_counts: Dict[str, Counter] = defaultdict(Counter)
    n_words = []
    cross = 0
    for doc in docs:
        ent_counts.update(e.label for e in doc.entities)
        rel_counts.update(r.label for r in doc.relations)
        cross += sum(crosses_sentence(doc, r.head, r.tail) for r in doc.relations)
        n_words.append(len(words(doc.text)))
        for key in ("form", "topic", "region"):
            meta_counts[key][doc.meta.get(key, "unknown")] += 1
    n_rels = sum(rel_counts.values())
    return {
        "documents": len(docs),
        "words_total": sum(n_words),
        "words_min": min(n_words, default=0),
        "words_median": median(n_words) if n_words else 0,
        "words_max": max(n_words, default=0),
        "entities": dict(sorted(ent_counts.items())),
        "relations": dict(sorted(rel_counts.items())),
        "cross_sentence_relations": cross,
        "cross_sentence_share": cross / n_rels if n_rels else 0.0,
        **{key: dict(c.most_common()) for key, c in meta_counts.items()},
    }


def stats_markdown(stats: Dict[str, object]) -> str:
    """The statistics as Markdown tables."""
    lines = [
        f"Documents: {stats['documents']}; words: {stats['words_total']} (min {stats['words_min']}, "
        f"median {stats['words_median']}, max {stats['words_max']}); relations crossing a sentence boundary: "
        f"{stats['cross_sentence_relations']} ({100 * stats['cross_sentence_share']:.1f} %)", "",
    ]
    for key in ("entities", "relations", "form", "topic", "region"):
        lines += [f"| {key} | count |", "|---|---:|"]
        lines += [f"| {k} | {v} |" for k, v in stats.get(key, {}).items()]
        lines.append("")
    return "\n".join(lines)


def shared_runs(docs: Sequence[AnnotatedText], n: int = 12) -> List[Tuple[str, str, str]]:
    """Pairs of documents sharing a run of n words (the first shared run of each pair)."""
    owner: Dict[Tuple[str, ...], str] = {}
    found: Dict[Tuple[str, str], str] = {}
    for doc in docs:
        toks = words(doc.text)
        for i in range(len(toks) - n + 1):
            gram = tuple(toks[i : i + n])
            other = owner.setdefault(gram, doc.name)
            if other != doc.name:
                found.setdefault(tuple(sorted((other, doc.name))), " ".join(gram))
    return [(a, b, run) for (a, b), run in sorted(found.items())]


def inconsistent_surfaces(docs: Iterable[AnnotatedText]) -> Dict[str, Counter]:
    """Surface strings annotated with more than one entity label, with counts per label."""
    labels: Dict[str, Counter] = defaultdict(Counter)
    for doc in docs:
        for ent in doc.entities:
            labels[ent.surface][ent.label] += 1
    return {s: c for s, c in sorted(labels.items()) if len(c) > 1}

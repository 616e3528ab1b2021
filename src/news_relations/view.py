"""Relation view: one HTML page per document, relation arcs over each passage (displaCy manual "dep") and entities ("ent")."""
import html
import re
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from spacy import displacy
from spacy.tokens import Doc

from .docs import Relation, get_relations
from .pipeline.aliases import evidence_span, get_triples

ARC_COLOR = "#d81b60"
LABEL_COLOR = "#1e88e5"
CONTEXT = 2  # plain tokens shown before the first and after the last argument of a passage
MAX_GAP = 5  # plain words kept between entities before the run is shortened with an ellipsis
ENT_COLORS = {"ROLE": "#b2dfdb", "NORP": "#c887fb"}
STYLE = f"""
body {{ font-family: Arial, sans-serif; margin: 1.5em; color: #222; background: #fff; }}
.passage {{ overflow-x: auto; margin-bottom: 1em; border-bottom: 1px solid #eee; }}
.displacy-arc, .displacy-arrowhead {{ stroke: {ARC_COLOR}; }}
.displacy-arrowhead {{ fill: {ARC_COLOR}; }}
.displacy-label {{ fill: {LABEL_COLOR}; font-weight: bold; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 2px 6px; text-align: left; }}
"""


def page_name(doc_id: str) -> str:
    """A file name for a document id (characters other than letters, digits, '.', '-' and '_' become '_')."""
    return re.sub(r"[^\w.-]", "_", doc_id) + ".html"


def passages(doc: Doc, relations: Sequence[Relation]) -> List[Tuple[Tuple[int, int], List[Relation]]]:
    """Relations grouped by the sentences that hold both arguments (character offsets), in text order."""
    groups: Dict[Tuple[int, int], List[Relation]] = {}
    for rel in relations:
        groups.setdefault(evidence_span(doc, rel), []).append(rel)
    return sorted(groups.items())


def _shorten(words: List[dict], max_gap: int) -> List[dict]:
    """A run of plain words longer than max_gap: its first and last two words around an ellipsis."""
    return words if len(words) <= max_gap else words[:2] + [{"text": "…", "tag": ""}] + words[-2:]


def arc_diagram(doc: Doc, span: Tuple[int, int], relations: Sequence[Relation], max_gap: int = MAX_GAP) -> dict:
    """displaCy manual "dep" data for one passage: entities as one word tagged with the label, long plain runs shortened, one arc per relation."""
    sentences = doc.char_span(span[0], span[1], alignment_mode="expand")
    args = [arg for rel in relations for arg in (rel.head, rel.tail)]
    # From the first argument to the last, with CONTEXT words either side inside the sentences.
    first = max(sentences.start, min(a.start for a in args) - CONTEXT) if args else sentences.start
    last = min(sentences.end, max(a.end for a in args) + CONTEXT) if args else sentences.end
    ent_at = {e.start: e for e in doc.ents if first <= e.start and e.end <= last}
    words, index, run = [], {}, []
    i = first
    while i < last:
        if i in ent_at:
            words += _shorten(run, max_gap)
            run = []
            ent = ent_at[i]
            index[(ent.start, ent.end)] = len(words)
            words.append({"text": ent.text, "tag": ent.label_})
            i = ent.end
            continue
        if not doc[i].is_space:
            run.append({"text": doc[i].text, "tag": ""})
        i += 1
    words += _shorten(run, max_gap)
    arcs = []
    for rel in relations:
        head, tail = index.get((rel.head.start, rel.head.end)), index.get((rel.tail.start, rel.tail.end))
        if head is None or tail is None or head == tail:
            continue
        start, end = sorted((head, tail))
        arcs.append({"start": start, "end": end, "label": f"{rel.label} {rel.score:.2f}", "dir": "right" if head < tail else "left"})
    return {"words": words, "arcs": arcs}


def render_page(doc: Doc, doc_id: str) -> str:
    """The whole HTML page of one document: relation arcs per passage, highlighted entities, the triples table."""
    relations = get_relations(doc)
    diagrams = [arc_diagram(doc, span, rels) for span, rels in passages(doc, relations)]
    svgs = [displacy.render(d, style="dep", manual=True, jupyter=False, options={"compact": True, "distance": 110})
            for d in diagrams if d["arcs"]]
    ents = displacy.render(doc, style="ent", jupyter=False, options={"colors": ENT_COLORS})
    rows = "".join(
        f"<tr><td>{html.escape(t.head)}</td><td>{t.head_label}</td><td>{t.label}</td><td>{html.escape(t.tail)}</td>"
        f"<td>{t.tail_label}</td><td>{t.score:.2f}</td></tr>" for t in get_triples(doc))
    title = html.escape(doc_id)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}: relations</title>'
            f"<style>{STYLE}</style></head><body>\n<h1>{title}</h1>\n"
            f'<section id="relations"><h2>Relations ({len(relations)})</h2>\n'
            + "\n".join(f'<div class="passage">{svg}</div>' for svg in svgs)
            + f'</section>\n<section id="entities"><h2>Entities ({len(doc.ents)})</h2>\n{ents}</section>\n'
            f'<section id="triples"><h2>Triples</h2><table><tr><th>head</th><th></th><th>relation</th><th>tail</th>'
            f"<th></th><th>score</th></tr>{rows}</table></section>\n</body></html>\n")


def write_page(doc: Doc, doc_id: str, output_dir: Path) -> Path:
    """Write the page of one document into output_dir; returns its path."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / page_name(doc_id)
    path.write_text(render_page(doc, doc_id), encoding="utf-8")
    return path


def write_index(pages: Sequence[Tuple[str, str]], output_dir: Path) -> Path:
    """index.html linking every (document id, page file) written."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    items = "".join(f'<li><a href="{html.escape(name)}">{html.escape(doc_id)}</a></li>' for doc_id, name in pages)
    path = output_dir / "index.html"
    path.write_text(f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Relation views</title></head>'
                    f"<body><h1>Relation views ({len(pages)})</h1><ul>{items}</ul></body></html>\n", encoding="utf-8")
    return path

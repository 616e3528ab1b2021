"""Relation view as a person sees it: the page rendered by headless Chromium shows the arcs and their labels."""
import os
import re
import shutil
import subprocess

import numpy
import pytest
import spacy
from spacy.tokens import Span

from news_relations.docs import Relation, set_relations
from news_relations.pipeline.aliases import AliasClusters, evidence_span
from news_relations.view import ARC_COLOR, LABEL_COLOR, arc_diagram, write_index, write_page

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TEXT = ("Colonel Gulmurod Halimov, the former head of Tajikistan's special forces, joined Islamic State in Syria. "
        "Halimov had trained with police units for years.")
# (text, label) of the entities and (head index, relation, tail index, score) of the relations.
ENTS = [("Gulmurod Halimov", "PERSON"), ("head", "ROLE"), ("Tajikistan", "GPE"), ("Islamic State", "ORG"), ("Syria", "GPE"),
        ("Halimov", "PERSON")]
RELS = [(0, "FORMER_ROLE", 1, 0.91), (1, "ROLE_OF", 2, 0.83), (0, "AFFILIATED_WITH", 3, 0.77), (3, "LOCATED_IN", 4, 0.64)]


def make_doc(with_relations: bool = True):
    """The test article with hand-set entities, relations, clusters and triples."""
    doc = spacy.blank("en")(TEXT)
    spans = []
    for text, label in ENTS:
        start = TEXT.index(text, spans[-1].end_char if spans else 0)
        spans.append(doc.char_span(start, start + len(text), label=label))
    doc.ents = spans
    set_relations(doc, [Relation(spans[h], label, spans[t], score) for h, label, t, score in RELS] if with_relations else [])
    return AliasClusters(labels=["PERSON", "ORG", "GPE"])(doc)


def test_arc_diagram_merges_entities_and_points_head_to_tail():
    doc = make_doc()
    rels = [Relation(doc.ents[h], label, doc.ents[t], s) for h, label, t, s in RELS]
    diagram = arc_diagram(doc, evidence_span(doc, rels[0]), rels, max_gap=3)
    words = [w["text"] for w in diagram["words"]]
    assert "Gulmurod Halimov" in words and "Islamic State" in words and "…" in words
    assert {w["tag"] for w in diagram["words"] if w["text"] == "Tajikistan"} == {"GPE"}
    arcs = {a["label"].split()[0]: a for a in diagram["arcs"]}
    assert set(arcs) == {label for _, label, _, _ in RELS}
    role_of = arcs["ROLE_OF"]
    assert words[role_of["start"]] == "head" and words[role_of["end"]] == "Tajikistan" and role_of["dir"] == "right"


def _chromium(page, *args):
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args, page.as_uri()],
                          capture_output=True, text=True, timeout=60)


def _pixels_near(image, color, tolerance=40):
    """How many pixels of an RGB image lie within tolerance (summed over channels) of a #rrggbb colour."""
    target = numpy.array([int(color[i:i + 2], 16) for i in (1, 3, 5)])
    return int((numpy.abs(numpy.asarray(image, dtype=int) - target).sum(axis=2) <= tolerance).sum())


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="chromium is not installed (.ci/run installs it)")
def test_page_shows_arcs_and_labels_in_chromium(tmp_path):
    from PIL import Image

    pages = {}
    for name, with_relations in (("with", True), ("without", False)):
        pages[name] = write_page(make_doc(with_relations), f"doc {name}", tmp_path / name)
    index = write_index([("doc with", pages["with"].name)], tmp_path / "with")
    assert 'href="doc_with.html"' in index.read_text(encoding="utf-8")
    dom = _chromium(pages["with"], "--dump-dom")
    assert dom.returncode == 0, dom.stderr
    labels = re.findall(r'class="displacy-label"[^>]*>([A-Z_]+) ([0-9.]+)<', dom.stdout)
    assert sorted(labels) == sorted((label, f"{score:.2f}") for _, label, _, score in RELS)
    assert dom.stdout.count('class="displacy-arc"') == len(RELS)
    assert ">Gulmurod Halimov<" in dom.stdout and "ROLE_OF" in dom.stdout and "Relations (4)" in dom.stdout
    counts = {}
    for name, page in pages.items():
        shot = tmp_path / f"{name}.png"
        run = _chromium(page, "--window-size=1400,900", f"--screenshot={shot}")
        assert run.returncode == 0 and shot.exists(), run.stderr
        image = Image.open(shot).convert("RGB")
        top = image.crop((0, 0, image.width, image.height // 2))  # the relations section comes first
        counts[name] = (_pixels_near(top, ARC_COLOR), _pixels_near(top, LABEL_COLOR))
    arcs, labels = counts["with"]
    assert arcs > 500 and labels > 100, counts  # arc strokes and bold label text are drawn
    assert counts["without"] == (0, 0), counts  # nothing else on the page has those colours

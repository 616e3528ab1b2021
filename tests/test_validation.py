"""Malformed inputs: every problem names the file, the line and what is wrong; lenient mode skips and reports."""
import json
from pathlib import Path

import pytest

from news_relations.corpus import brat_dir_to_docs, split_of
from news_relations.corpus_checks import corpus_stats, inconsistent_surfaces, shared_runs
from news_relations.io.annotations import AnnotationError
from news_relations.io.brat import read_brat, read_brat_dir
from news_relations.io.inline import parse_inline
from news_relations.io.prodigy import read_prodigy
from news_relations.schema import NEWS_SCHEME

TEXT = "Colonel Gulmurod Halimov joined Islamic State in Syria.\nHe left Tajikistan.\n"
GOOD = "T1\tROLE 0 7\tColonel\nT2\tPERSON 8 24\tGulmurod Halimov\nT3\tORG 32 45\tIslamic State\nT4\tGPE 49 54\tSyria\nR1\tHAS_ROLE Arg1:T2 Arg2:T1\n"


def write_pair(directory: Path, ann: str, text: str = TEXT, name: str = "doc") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.txt").write_text(text, encoding="utf-8")
    (directory / f"{name}.ann").write_text(ann, encoding="utf-8")
    return directory / f"{name}.txt"


def problems_of(tmp_path: Path, ann: str, text: str = TEXT):
    path = write_pair(tmp_path, ann, text)
    with pytest.raises(AnnotationError) as err:
        read_brat(path, NEWS_SCHEME)
    return err.value.problems


@pytest.mark.parametrize("ann, line, needle", [
    (GOOD + "T5\tPERSON 60 70\tTajikistan\n", 6, "does not match the text"),
    (GOOD + "T5\tGPE 100 110\tTajikistan\n", 6, "out of range"),
    (GOOD + "T5\tPERSON 8 16\tGulmurod\n", 6, "nested in T2"),
    (GOOD + "T5\tORG 17 31\tHalimov joined\n", 6, "overlaps T2"),
    (GOOD + "T5\tGPE 49 60\tSyria.\nHe l\n", 7, "cannot parse line"),
    (GOOD + "T5\tWEAPON 49 54\tSyria\n", 6, "unknown entity label 'WEAPON'"),
    (GOOD + "R2\tKILLED Arg1:T2 Arg2:T4\n", 6, "unknown relation label 'KILLED'"),
    (GOOD + "R2\tHAS_ROLE Arg1:T3 Arg2:T1\n", 6, "breaks the scheme"),
    (GOOD + "R2\tAFFILIATED_WITH Arg1:T2 Arg2:T9\n", 6, "missing entity id(s) T9"),
    (GOOD + "*\tEquiv T2 T8\n", 6, "Equiv names missing entity id(s) T8"),
    (GOOD + "T1\tGPE 49 54\tSyria\n", 6, "duplicate id T1"),
    (GOOD + "R2\tFORMER_ROLE Arg1:T2 Arg2:T1\n", 6, "contradicts HAS_ROLE"),
])
def test_each_problem_names_line_and_cause(tmp_path, ann, line, needle):
    problems = problems_of(tmp_path, ann)
    assert any(p.line == line and needle in p.message and p.path.endswith("doc.ann") for p in problems), [str(p) for p in problems]


def test_span_across_line_break(tmp_path):
    problems = problems_of(tmp_path, GOOD + "T5\tGPE 49 58\tSyria.\nHe\n".replace("Syria.\nHe", "Syria.\\nHe"))
    assert problems  # unparseable surface or mismatch, never silent
    text = "Syria\nTajikistan\n"
    problems = problems_of(tmp_path, "T1\tGPE 0 16\tSyria\n", text)
    assert any("does not match" in p.message or "line break" in p.message for p in problems)


def test_file_level_problems(tmp_path):
    d = tmp_path / "files"
    d.mkdir()
    (d / "bom.txt").write_bytes("\ufeffText.".encode("utf-8"))
    (d / "bom.ann").write_text("")
    (d / "crlf.txt").write_bytes(b"Line one.\r\nLine two.\r\n")
    (d / "crlf.ann").write_text("")
    (d / "bad.txt").write_bytes(b"Caf\xe9 au lait.\n")
    (d / "bad.ann").write_text("")
    (d / "empty.txt").write_text("")
    (d / "empty.ann").write_text("")
    (d / "lonely.ann").write_text("")
    (d / "orphan.txt").write_text("No annotation file.\n")
    with pytest.raises(AnnotationError) as err:
        read_brat_dir(d, NEWS_SCHEME)
    messages = "\n".join(str(p) for p in err.value.problems)
    for needle in ("byte-order mark", "CRLF", "invalid UTF-8", "empty text file", "no text file lonely.txt", "no annotation file orphan.ann"):
        assert needle in messages


def test_strict_lists_every_problem_and_lenient_keeps_the_rest(tmp_path, nlp_blank):
    ann = GOOD + "T5\tGPE 100 110\tTajikistan\nR2\tLOCATED_IN Arg1:T3 Arg2:T4\nR3\tKILLED Arg1:T2 Arg2:T4\n"
    write_pair(tmp_path / "lenient", ann)
    with pytest.raises(AnnotationError) as err:
        brat_dir_to_docs(tmp_path / "lenient", nlp_blank, NEWS_SCHEME)
    assert len(err.value.problems) == 2
    docs, problems = brat_dir_to_docs(tmp_path / "lenient", nlp_blank, NEWS_SCHEME, strict=False)
    assert len(problems) == 2 and len(docs[0].ents) == 4 and len(docs[0]._.relations) == 2


def test_token_misalignment_is_reported_not_dropped(tmp_path, nlp_blank):
    write_pair(tmp_path / "tok", "T1\tPERSON 8 14\tGulmur\n")
    with pytest.raises(AnnotationError) as err:
        brat_dir_to_docs(tmp_path / "tok", nlp_blank, NEWS_SCHEME)
    assert "does not fall on token boundaries" in str(err.value) and ":1:" in str(err.value)


def test_inline_markup_offsets_and_errors():
    source = "[[Colonel|ROLE|c]] [[Gulmurod Halimov|PERSON|h]] joined [[Islamic State|ORG|is]].\n\nNo [[markup here|ORG.\n@@@\nmeta form=brief topic=security region=central_asia\nHAS_ROLE h c\nAFFILIATED_WITH h nobody\n= h is\n"
    doc, problems = parse_inline(source, "x", "x.md", NEWS_SCHEME)
    assert doc.text.startswith("Colonel Gulmurod Halimov joined Islamic State.")
    assert [(e.label, doc.text[e.start:e.end]) for e in doc.entities] == [("ROLE", "Colonel"), ("PERSON", "Gulmurod Halimov"), ("ORG", "Islamic State")]
    assert doc.meta == {"form": "brief", "topic": "security", "region": "central_asia"}
    messages = [str(p) for p in problems]
    assert any(m.startswith("x.md:3:") and "malformed markup" in m for m in messages)
    assert any(m.startswith("x.md:7:") and "nobody" in m for m in messages)
    assert any(m.startswith("x.md:8:") and "mixes entity labels" in m for m in messages)


def test_prodigy_skips_rejected_and_reports(tmp_path, nlp_blank):
    tokens = [{"text": w, "start": s, "end": s + len(w), "id": i, "ws": True} for i, (w, s) in enumerate([("Halimov", 0), ("joined", 8), ("ISIS", 15)])]
    tokens[-1]["ws"] = False
    record = {"text": "Halimov joined ISIS", "tokens": tokens,
              "spans": [{"start": 0, "end": 7, "token_start": 0, "token_end": 0, "label": "PERSON"}, {"start": 15, "end": 19, "token_start": 2, "token_end": 2, "label": "ORG"}],
              "relations": [{"head": 0, "child": 2, "label": "AFFILIATED_WITH"}], "answer": "accept"}
    lines = [record, {**record, "answer": "reject"}, {**record, "answer": "ignore"}, {**record, "relations": [{"head": 1, "child": 2, "label": "AFFILIATED_WITH"}]}]
    path = tmp_path / "rel.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in lines) + "\nnot json\n")
    docs, problems, skipped = read_prodigy(path, nlp_blank.vocab, NEWS_SCHEME, strict=False)
    assert skipped == {"reject": 1, "ignore": 1}
    assert len(docs) == 2 and len(docs[0]._.relations) == 1
    assert [p.line for p in problems] == [4, 5]


def test_split_is_stable_when_documents_are_added():
    ids = [f"doc_{i}" for i in range(500)]
    before = {i: split_of(i, 0.1, 0.1) for i in ids}
    after = {i: split_of(i, 0.1, 0.1) for i in ids + [f"new_{i}" for i in range(500)]}
    assert all(after[i] == before[i] for i in ids)
    shares = {s: list(before.values()).count(s) / len(ids) for s in ("train", "dev", "test")}
    assert 0.05 < shares["dev"] < 0.15 and 0.05 < shares["test"] < 0.15


def test_corpus_checks(example_ann):
    stats = corpus_stats([example_ann])
    assert stats["entities"]["PERSON"] == 5 and sum(stats["relations"].values()) == 17
    assert 0 < stats["cross_sentence_relations"] < 17
    twin = type(example_ann)(name="twin", text=example_ann.text, entities=example_ann.entities)
    assert shared_runs([example_ann, twin])[0][:2] == (example_ann.name, "twin")
    assert "Tajikistan" not in inconsistent_surfaces([example_ann])

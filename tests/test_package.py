"""The built wheel installs into a fresh venv (spaCy only, no project source) and returns relations."""
import json
import subprocess
import sys
import venv
from pathlib import Path

from conftest import ROOT

PROBE = """
import json, spacy
nlp = spacy.load("en_news_relations")
doc = nlp("Colonel Gulmurod Halimov, the former head of Tajikistan's special forces, joined Islamic State in Syria.")
print(json.dumps({"pipeline": nlp.pipe_names, "ents": [e.label_ for e in doc.ents],
                  "relations": [r.to_dict() for r in doc._.relations], "modules": sorted(m for m in __import__("sys").modules if m.startswith(("torch", "news_relations", "en_news_relations")))}))
"""


def test_wheel_installs_and_loads_in_fresh_venv(tiny_model, tmp_path):
    subprocess.run([sys.executable, str(ROOT / "scripts" / "package_model.py"), str(tiny_model), str(tmp_path / "packages"), "--version", "0.0.1"], check=True, cwd=ROOT)
    wheel = next((tmp_path / "packages").glob("*/dist/en_news_relations-0.0.1-py3-none-any.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True)
    out = subprocess.run([str(python), "-c", PROBE], check=True, capture_output=True, text=True, cwd=tmp_path).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["pipeline"] == ["tok2vec", "ner", "relation_extractor", "alias_clusters"]
    assert isinstance(result["relations"], list)
    assert not any(m.startswith("torch") for m in result["modules"])
    assert "en_news_relations.news_relations" in result["modules"] and "news_relations" not in result["modules"]
    meta = json.loads(Path(next((tmp_path / "packages").glob("en_news_relations-0.0.1/meta.json"))).read_text())
    assert meta["requirements"] == [r for r in meta["requirements"] if not r.startswith("news")]
    assert "label_scheme" in meta and meta["license"] == "MIT"

"""A tiny run of the real config: spacy train with ner and relation_extractor, then load and predict."""
import json
import pytest
import spacy
from spacy.cli.train import train
from spacy.tokens import DocBin

from conftest import CONFIG, TINY
from news_relations.docs import get_relations
from news_relations.evaluation import evaluate_docs, summarize, tune_thresholds

def test_training_run_reports_relation_scores(tiny_model):
    meta = json.loads((tiny_model / "meta.json").read_text())
    assert meta["pipeline"] == ["tok2vec", "ner", "relation_extractor", "alias_clusters"]
    for key in ("ents_f", "rel_micro_f", "rel_gold_micro_f", "triple_f", "cluster_b3_f"):
        assert key in meta["performance"]


def test_trained_pipeline_predicts_and_evaluates(tiny_model, team_docs):
    nlp = spacy.load(tiny_model)
    doc = nlp(team_docs[0].text)
    assert isinstance(get_relations(doc), list)
    thresholds = tune_thresholds(nlp, team_docs[4:6])
    assert set(thresholds) == set(nlp.get_pipe("relation_extractor").labels)
    metrics = summarize(evaluate_docs(nlp, team_docs[4:6]))
    assert 0.0 <= metrics["rel_gold_micro_f"] <= 1.0 and "ents_per_type" in metrics


def test_same_seed_same_scores(tmp_path, team_docs):
    DocBin(docs=team_docs[:3], store_user_data=True).to_disk(tmp_path / "train.spacy")
    DocBin(docs=team_docs[3:5], store_user_data=True).to_disk(tmp_path / "dev.spacy")
    overrides = {"paths.train": str(tmp_path / "train.spacy"), "paths.dev": str(tmp_path / "dev.spacy"), **TINY, "training.max_steps": 6, "training.eval_frequency": 3}
    performances = []
    for run in ("a", "b"):
        train(CONFIG, tmp_path / run, overrides=overrides)
        performances.append(json.loads((tmp_path / run / "model-last" / "meta.json").read_text())["performance"])
    assert performances[0] == performances[1]

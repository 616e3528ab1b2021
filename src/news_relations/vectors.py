"""Static word vectors from the offline backbone's wordpiece embeddings (no hub, no third-party vector file).

A word's vector is the mean of the input embeddings of its wordpieces, for the backbone's whole-word vocabulary
and the words of the training corpus, reduced to `dims` dimensions by PCA. The table is keyed by ORTH: spaCy 3.8
does not save a non-default `vectors.attr` (only floret vectors keep it), so each word is stored in its lowercase,
capitalized and corpus-cased forms, all with the same vector.
"""
import re
from pathlib import Path
from typing import Iterable, List, Sequence, Tuple

import numpy

WORD = re.compile(r"[^\W\d_][\w'\-\.]*")
EMBEDDINGS_KEY = "embeddings.word_embeddings.weight"


def backbone_vocabulary(model_dir: Path) -> List[str]:
    """Whole words of a WordPiece vocab.txt (no '##' pieces, no [special] or [unusedN] entries)."""
    lines = (model_dir / "vocab.txt").read_text(encoding="utf-8").split("\n")
    return [w for w in lines if WORD.fullmatch(w) and not w.startswith("##")]


def corpus_words(texts: Iterable[str]) -> List[str]:
    """Distinct word forms (letters first, case kept) of the given token texts, in first-seen order."""
    return list(dict.fromkeys(t for t in texts if WORD.fullmatch(t)))


def wordpiece_vectors(model_dir: Path, words: Sequence[str]) -> numpy.ndarray:
    """One row per word: the mean input embedding of its wordpieces (uncased backbones lowercase first)."""
    from safetensors.numpy import load_file
    from transformers import AutoTokenizer

    table = load_file(str(model_dir / "model.safetensors"))[EMBEDDINGS_KEY]
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    ids = tokenizer(list(words), add_special_tokens=False)["input_ids"]
    rows = numpy.zeros((len(words), table.shape[1]), dtype="float32")
    for i, pieces in enumerate(ids):
        if pieces:
            rows[i] = table[pieces].mean(axis=0)
    return rows


def pca(matrix: numpy.ndarray, dims: int) -> numpy.ndarray:
    """Centre and project onto the top `dims` principal axes, scaled to unit mean row norm."""
    centred = matrix - matrix.mean(axis=0, keepdims=True)
    _, _, axes = numpy.linalg.svd(centred, full_matrices=False)
    reduced = centred @ axes[:dims].T
    return (reduced / numpy.linalg.norm(reduced, axis=1).mean()).astype("float32")


def surface_forms(word: str, seen_forms: Iterable[str] = ()) -> List[str]:
    """The keys a lowercase word is stored under: itself, capitalized, and its forms seen in the corpus."""
    return list(dict.fromkeys([word, word[:1].upper() + word[1:], *seen_forms]))


def build_vectors(model_dir: Path, corpus_forms: Iterable[str], dims: int) -> Tuple[List[str], numpy.ndarray]:
    """Keys (surface forms) and the reduced matrix for the backbone vocabulary plus the corpus words."""
    forms: dict = {}
    for form in corpus_forms:
        forms.setdefault(form.lower(), []).append(form)
    words = list(dict.fromkeys(backbone_vocabulary(model_dir) + list(forms)))
    vectors = pca(wordpiece_vectors(model_dir, words), dims)
    keys, rows = [], []
    for i, word in enumerate(words):
        for key in surface_forms(word, forms.get(word, ())):
            keys.append(key)
            rows.append(i)
    return keys, vectors[numpy.asarray(rows)]


def vectors_pipeline(keys: Sequence[str], matrix: numpy.ndarray, lang: str = "en"):
    """A blank pipeline holding the table, for `[initialize] vectors` in a training config."""
    import spacy
    from spacy.vectors import Vectors

    nlp = spacy.blank(lang)
    for key in keys:
        nlp.vocab.strings.add(key)
    nlp.vocab.vectors = Vectors(strings=nlp.vocab.strings, data=matrix, keys=list(keys), name=f"{lang}_backbone_wordpiece")
    return nlp

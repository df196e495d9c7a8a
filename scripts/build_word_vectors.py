"""Builds distributional word vectors for the NLU (issue 14): `python -m scripts.build_word_vectors
<corpus> [<corpus> ...] [--out data/vectors/word_vectors.npz]`.

Customers use words our ~8,000 wordings never contain (synonyms, product names, colloquial verbs),
which sparse n-grams cannot relate. These vectors relate them: learnt here, without any
pretrained model, from the questions of public corpora whose TRAIN material we may study (the BQ
corpus train split `q1<TAB>q2<TAB>label`, the UnionPay Q&A file with its "question :" and
"answer :" lines) and our own training wordings (data/nlu), cut by jieba with our dictionary
(data/dictionary) after the pipeline's normalisation, as the pipeline cuts them.

Method: positive pointwise mutual information of word co-occurrences (a window of WINDOW words
either side; a short question is nearly one window), context counts smoothed by the 0.75 power,
then a truncated SVD; a word's vector is its left singular vector times the square root of its
singular value, unit length. A second signal: in BQ pairs labelled 1 (paraphrases) the words of
one question that the other lacks co-occur with the other's such words (PARAPHRASE_WEIGHT), so
words customers swap for each other end up close. Only words seen at least MIN_COUNT times are
kept.

The output holds words, their corpus frequencies and float16 vectors: no sentence of any corpus,
and no long number (card, phone, case numbers). It is reproducible: the same inputs give the same
arrays (the zip container holds write times).
The BQ dev and test splits and the ATEC/AFQMC corpus are reserved for the product owner's
evaluation and must never be given to this script.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.utils.extmath import randomized_svd

from .nlu_real import QUESTION_LINE, training_wordings
from .train import ROOT

DEFAULT_OUT = ROOT / "data" / "vectors" / "word_vectors.npz"
# The pipeline's jieba dictionary (config.yml, JiebaTokenizer's dictionary_path).
DEFAULT_DICTIONARY = ROOT / "data" / "dictionary"
DIMENSIONS = 200
MIN_COUNT = 3
WINDOW = 5
# The co-occurrence count each swapped-word pair of a paraphrase pair adds (a window pair adds 1).
PARAPHRASE_WEIGHT = 4.0
# Our own wordings are few against the corpora but are the words the classifiers know.
OWN_WORDING_REPEATS = 3
CONTEXT_SMOOTHING = 0.75
ANSWER_LINE = re.compile(r"^\s*answer\s*:(.*)$")
CLAUSE_SPLIT = re.compile(r"[。！？!?；;\n]+")
# Tokens that are punctuation or spaces only carry no meaning.
NOT_A_WORD = re.compile(r"^[\W_]+$")
# Card, phone, account and case numbers are not words and may identify someone: they take part in
# the co-occurrence counts but get no vector in the file.
A_NUMBER = re.compile(r"\d{7,}")
SEED = 20261206


def _tokenizer(dictionary: Path = DEFAULT_DICTIONARY):
    """jieba with our dictionary, after the pipeline's normalisation (config.yml)."""
    import jieba

    from bot.text.normalize import normalize_text
    from rasa_components.normalizer import strip_fillers

    jieba.setLogLevel(60)
    for path in sorted(dictionary.glob("*")):
        jieba.load_userdict(str(path))

    def cut(text: str) -> list[str]:
        text = strip_fillers(normalize_text(text)).lower()
        return [word for word in jieba.cut(text) if word.strip() and not NOT_A_WORD.match(word)]

    return cut


def read_corpus(path: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """(texts, paraphrase pairs) of a corpus: a BQ-style TSV of pairs or the UnionPay Q&A file."""
    texts: list[str] = []
    pairs: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        cells = line.split("\t")
        if len(cells) == 3:
            first, second, label = (cell.strip() for cell in cells)
            texts += [first, second]
            if label == "1":
                pairs.append((first, second))
            continue
        question, answer = QUESTION_LINE.match(line), ANSWER_LINE.match(line)
        if question:
            texts.append(question.group(1).strip().lstrip("\ufeff"))
        elif answer:
            texts += [clause for clause in CLAUSE_SPLIT.split(answer.group(1)) if clause.strip()]
    return texts, pairs


def cooccurrences(
    sentences: list[list[str]], pairs: list[tuple[list[str], list[str]]], index: dict[str, int]
) -> sp.csr_matrix:
    """Symmetric word-word counts: window pairs, plus the swapped words of paraphrase pairs."""
    rows: list[int] = []
    cols: list[int] = []
    weights: list[float] = []
    for words in sentences:
        ids = [index[w] for w in words if w in index]
        for i, a in enumerate(ids):
            for b in ids[i + 1 : i + 1 + WINDOW]:
                if a != b:
                    rows += [a, b]
                    cols += [b, a]
                    weights += [1.0, 1.0]
    for first, second in pairs:
        only_first = {index[w] for w in set(first) - set(second) if w in index}
        only_second = {index[w] for w in set(second) - set(first) if w in index}
        for a in only_first:
            for b in only_second:
                rows += [a, b]
                cols += [b, a]
                weights += [PARAPHRASE_WEIGHT, PARAPHRASE_WEIGHT]
    size = len(index)
    return sp.csr_matrix((weights, (rows, cols)), shape=(size, size), dtype=np.float64)


def ppmi(counts: sp.csr_matrix) -> sp.csr_matrix:
    """Positive PMI with context-distribution smoothing."""
    counts = counts.tocoo()
    total = counts.sum()
    word_totals = np.asarray(counts.sum(axis=1)).ravel()
    context_totals = np.asarray(counts.sum(axis=0)).ravel() ** CONTEXT_SMOOTHING
    context_probability = context_totals / context_totals.sum()
    word_probability = word_totals / total
    pmi = (
        np.log(counts.data / total)
        - np.log(word_probability[counts.row])
        - np.log(context_probability[counts.col])
    )
    keep = pmi > 0
    return sp.csr_matrix((pmi[keep], (counts.row[keep], counts.col[keep])), shape=counts.shape)


def build(
    corpora: list[Path], dictionary: Path = DEFAULT_DICTIONARY
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(words, frequencies, unit vectors)."""
    cut = _tokenizer(dictionary)
    texts: list[str] = []
    raw_pairs: list[tuple[str, str]] = []
    for path in corpora:
        corpus_texts, corpus_pairs = read_corpus(path)
        texts += corpus_texts
        raw_pairs += corpus_pairs
    own = [text for _, text in training_wordings()]
    texts += own * OWN_WORDING_REPEATS
    cache: dict[str, list[str]] = {}

    def words_of(text: str) -> list[str]:
        if text not in cache:
            cache[text] = cut(text)
        return cache[text]

    sentences = [words_of(text) for text in texts]
    pairs = [(words_of(a), words_of(b)) for a, b in raw_pairs]
    frequencies = Counter(word for words in sentences for word in words)
    vocabulary = sorted(word for word, count in frequencies.items() if count >= MIN_COUNT)
    index = {word: i for i, word in enumerate(vocabulary)}
    print(
        f"{len(texts)} texts, {len(pairs)} paraphrase pairs, {len(frequencies)} words, "
        f"{len(vocabulary)} seen >= {MIN_COUNT} times",
        flush=True,
    )
    matrix = ppmi(cooccurrences(sentences, pairs, index))
    u, s, _ = randomized_svd(matrix, n_components=DIMENSIONS, n_iter=7, random_state=SEED)
    vectors = u * np.sqrt(s)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    vectors /= norms
    kept = [i for i, word in enumerate(vocabulary) if not A_NUMBER.search(word)]
    counts = np.array([frequencies[vocabulary[i]] for i in kept], dtype=np.int64)
    return [vocabulary[i] for i in kept], counts, vectors[kept]


def save(path: Path, words: list[str], counts: np.ndarray, vectors: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path, words=np.array(words, dtype=str), counts=counts, vectors=vectors.astype(np.float16)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", type=Path, nargs="+", help="local corpus copies (train material only)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--dictionary",
        type=Path,
        default=DEFAULT_DICTIONARY,
        help="jieba dictionary directory (the pipeline's)",
    )
    args = parser.parse_args(argv)
    for path in args.corpora:
        if re.search(r"dev|test|atec|afqmc", path.name, re.IGNORECASE):
            print(f"{path}: reserved for the product owner's evaluation; not used.")
            return 2
    words, counts, vectors = build(args.corpora, args.dictionary)
    save(args.out, words, counts, vectors)
    print(
        f"{len(words)} words x {vectors.shape[1]} dimensions -> {args.out} ({args.out.stat().st_size:,} bytes)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Our word vectors (data/vectors/word_vectors.npz, scripts/build_word_vectors.py) and the dense
sentence feature the linear classifiers read next to the sparse n-grams."""

from __future__ import annotations

import re

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_components.linear_classifiers import LinearResponseSelector
from rasa_components.word_vectors import WordVectorFeaturizer, WordVectors
from scripts.train import ROOT

from .test_linear_classifiers import RESPONSES, WORDINGS, _message

COMMITTED = ROOT / "data" / "vectors" / "word_vectors.npz"


def _vectors_file(path, table: dict[str, tuple[list[float], int]]):
    words = list(table)
    vectors = np.array([table[w][0] for w in words], dtype=np.float16)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    counts = np.array([table[w][1] for w in words])
    np.savez_compressed(path, words=np.array(words), counts=counts, vectors=vectors)
    return path


def test_the_committed_vectors_hold_words_not_sentences_nor_numbers():
    arrays = np.load(COMMITTED)
    words = [str(w) for w in arrays["words"]]
    assert COMMITTED.stat().st_size < 10_000_000
    assert arrays["vectors"].dtype == np.float16 and arrays["vectors"].shape[0] == len(words)
    assert len(words) == len(set(words)) == len(arrays["counts"])
    for word in words:
        assert len(word) <= 25 and not re.search(r"[\s，。？！,?!]", word), word
        assert not re.search(r"\d{7,}", word), word  # card, phone and case numbers


def test_a_word_without_a_vector_borrows_its_characters_and_frequent_words_weigh_little(tmp_path):
    path = _vectors_file(
        tmp_path / "v.npz",
        {"挂": ([1, 0, 0], 10), "失": ([0, 1, 0], 10), "的": ([0, 0, 1], 100_000)},
    )
    vectors = WordVectors.read(path, smoothing=1e-3)
    sentence = vectors.sentence(["挂失", "的"])
    assert np.isclose(np.linalg.norm(sentence), 1.0)
    assert sentence[0] == pytest.approx(sentence[1]) and sentence[2] < 0.05 * sentence[0]
    assert not vectors.sentence(["火星文"]).any()


def test_a_word_the_corpus_is_full_of_still_carries_the_question(tmp_path):
    """In a bank's own corpus the product words (借款, 微粒贷) are among the most frequent, so
    inverse-frequency weights treat them like 的 and 呀; `pooling: mean` does not."""
    path = _vectors_file(
        tmp_path / "v.npz",
        {"借款": ([1, 0, 0], 500_000), "呀": ([0, 1, 0], 50), "的": ([0, 0, 1], 500_000)},
    )
    mean = WordVectors.read(path, smoothing=None).sentence(["借款", "呀"])
    sif = WordVectors.read(path, smoothing=1e-3).sentence(["借款", "呀"])
    assert mean[0] == pytest.approx(mean[1])
    assert sif[0] < 0.1 * sif[1]


def test_what_every_question_shares_is_removed_and_kept_in_the_model(tmp_path):
    """Two questions on different business that share only their opening (我想问) look alike to
    a plain mean; without the direction all training questions share, they do not. The removed
    direction travels with the vectors into the model."""
    path = _vectors_file(
        tmp_path / "v.npz",
        {
            "我": ([1, 0, 0, 0], 50),
            "想问": ([1, 0, 0, 0], 50),
            "挂失": ([0.3, 1, 0, 0], 50),
            "利率": ([0.3, 0, 1, 0], 50),
            "转账": ([0.3, 0, 0, 1], 50),
        },
    )
    vectors = WordVectors.read(path, smoothing=None)
    first, second = ["我", "想问", "挂失"], ["我", "想问", "利率"]
    assert vectors.sentence(first) @ vectors.sentence(second) > 0.8
    vectors.fit_common([first, second, ["我", "想问", "转账"], ["我", "转账"]])
    assert abs(vectors.sentence(first) @ vectors.sentence(second)) < 0.3
    vectors.write(tmp_path / "model.npz")
    reloaded = WordVectors.read(tmp_path / "model.npz", smoothing=None)
    assert np.allclose(reloaded.sentence(first), vectors.sentence(first), atol=1e-3)


def test_a_word_our_wordings_lack_reaches_the_topic_of_its_neighbours(tmp_path):
    """ "封顶" is in no wording of the transfer-limit topic and shares no character with them; its
    vector sits with 限额's. Without the dense feature the question goes elsewhere."""
    lost, limit, rate = [1, 0, 0], [0, 1, 0], [0, 0, 1]
    path = _vectors_file(
        tmp_path / "v.npz",
        {
            "封顶": ([0.05, 0.95, 0], 20),
            "丢": (lost, 50),
            "挂失": (lost, 50),
            "丢了": (lost, 50),
            "限额": (limit, 50),
            "转": (limit, 50),
            "利率": (rate, 50),
            "利息": (rate, 50),
        },
    )
    (tmp_path / "model").mkdir()
    storage = LocalModelStorage(tmp_path / "model")
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = JiebaTokenizer.create(JiebaTokenizer.get_default_config(), storage, Resource("tok"), context)
    featurizers = [
        CountVectorsFeaturizer.create(
            {**CountVectorsFeaturizer.get_default_config(), **cfg}, storage, Resource(name), context
        )
        for name, cfg in [("words", {}), ("chars", {"analyzer": "char", "min_ngram": 1, "max_ngram": 2})]
    ]
    featurizers.append(
        WordVectorFeaturizer.create({"vectors_path": str(path)}, storage, Resource("vectors"), context)
    )
    examples = [_message(text, label) for label, texts in WORDINGS.items() for text in texts]
    data = TrainingData(training_examples=examples, responses=RESPONSES)
    tokenizer.process_training_data(data)
    for featurizer in featurizers:
        featurizer.train(data)
        featurizer.process_training_data(data)

    def topic(dense_weight: float, text: str) -> str:
        selector = LinearResponseSelector.create(
            {"dense_weight": dense_weight}, storage, Resource(f"selector{dense_weight}"), context
        )
        selector.train(data)
        [message] = [_message(text)]
        tokenizer.process([message])
        for featurizer in featurizers:
            featurizer.process([message])
        selector.process([message])
        return message.get("response_selector")["default"]["response"]["intent_response_key"]

    question, expected = "封顶是几块", "faq/transfer_limit"
    assert topic(0.0, question) != expected
    assert topic(1.0, question) == expected

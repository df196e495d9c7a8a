"""Linear intent classifier and response selector over the pipeline's sparse n-gram features.

With a few dozen wordings per label, a linear SVM over TF-IDF-weighted word and character
n-grams separates our ~30 intents and ~80 FAQ topics better than DIET and its ResponseSelector
did, and trains in seconds instead of minutes (figures in the README, `make nlu-report`).

Both components read the sentence-level sparse features the featurizers before them produced
(jieba word unigrams, character uni/bigrams, regex matches), weight them by sublinear TF-IDF
and L2-normalise each message. With `dense_weight` above 0 they also read the dense sentence
features (our word vectors, rasa_components/word_vectors.py), unit length, times that weight, as
further columns of the same linear model. Scores become confidences through a softmax whose temperature
is fitted at training time on held-out folds of the training data (temperature scaling), so
the thresholds downstream (FallbackClassifier, the FAQ "A or B?" rule) see calibrated values.

The model is stored as plain arrays (`.npz`) and a JSON file of labels: no pickles.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_DEFAULT_INTENT,
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data import util as training_data_util
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

logger = logging.getLogger(__name__)

TEMPERATURES = np.array([1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40], dtype=float)


@dataclass
class LinearModel:
    """A fitted one-vs-rest linear SVM with its feature weights and softmax temperature."""

    labels: list[str]
    idf: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    temperature: float
    # The dense columns' scale (0: the model reads the sparse features only).
    dense_weight: float = 0.0

    def __post_init__(self) -> None:
        # Computed once, not per message: the weights laid out for (messages x features) @
        # (features x labels) (a transposed view made scipy copy the whole matrix every call),
        # and which features are informative (each in fewer than half of the training examples).
        sparse_width = len(self.idf)
        self._coef_by_feature = np.ascontiguousarray(self.coef[:, :sparse_width].T)
        self._coef_by_dense_feature = np.ascontiguousarray(self.coef[:, sparse_width:].T)
        self._informative = self.idf > np.log(2.0) + 1.0

    def weigh(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        return _weigh(counts, self.idf)

    @property
    def dense_width(self) -> int:
        return self._coef_by_dense_feature.shape[0]

    def probabilities(self, counts: sp.csr_matrix, dense: np.ndarray | None = None) -> np.ndarray:
        """Label probabilities per message; uniform for a message none of whose features is
        informative, which would otherwise be decided by the intercepts and the near-universal
        features alone (e.g. "😀😀")."""
        counts = sp.csr_matrix(counts)
        weighted = self.weigh(counts)
        scores = np.asarray(weighted @ self._coef_by_feature) + self.intercept
        if self.dense_width and dense is not None:
            scores += self.dense_weight * (_unit_rows(dense) @ self._coef_by_dense_feature)
        probabilities = _softmax(scores * self.temperature)
        rows = _row_of_each_value(counts)
        informative = np.bincount(rows, weights=self._informative[counts.indices], minlength=counts.shape[0])
        probabilities[informative == 0] = 1.0 / len(self.labels)
        return probabilities

    def save(self, directory, name: str) -> None:
        np.savez_compressed(
            directory / f"{name}.npz",
            idf=self.idf,
            coef=self.coef,
            intercept=self.intercept,
            temperature=np.array([self.temperature]),
            dense_weight=np.array([self.dense_weight]),
        )
        (directory / f"{name}.json").write_text(
            json.dumps({"labels": self.labels}, ensure_ascii=False), encoding="utf-8"
        )

    @classmethod
    def load(cls, directory, name: str) -> LinearModel:
        arrays = np.load(directory / f"{name}.npz")
        labels = json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))["labels"]
        return cls(
            labels=labels,
            idf=arrays["idf"],
            coef=arrays["coef"],
            intercept=arrays["intercept"],
            temperature=float(arrays["temperature"][0]),
            dense_weight=float(arrays["dense_weight"][0]) if "dense_weight" in arrays else 0.0,
        )


def _weigh(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear TF times IDF, each row scaled to unit length (on the stored values only: a
    message has a few dozen features of tens of thousands)."""
    weighted = sp.csr_matrix(counts, dtype=np.float64, copy=True)
    weighted.sum_duplicates()
    np.log1p(weighted.data, out=weighted.data)
    weighted.data *= idf[weighted.indices]
    row_of_value = _row_of_each_value(weighted)
    norms = np.sqrt(np.bincount(row_of_value, weights=weighted.data**2, minlength=weighted.shape[0]))
    norms[norms == 0] = 1.0
    weighted.data /= norms[row_of_value]
    return weighted


def _unit_rows(dense: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(dense, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return dense / norms


def _row_of_each_value(matrix: sp.csr_matrix) -> np.ndarray:
    """The row number of each stored value of a CSR matrix."""
    return np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def _sentence_features(message: Message) -> sp.spmatrix | None:
    """The featurizers' sentence-level sparse features of the text, side by side in pipeline order:
    what `Message.get_sparse_features(TEXT)[1]` returns, without its deep copy of every feature
    (token-level ones included), which was 7 % of Rasa's time per turn under load."""
    parts = [
        f.features
        for f in message.features
        if f.attribute == TEXT and f.is_sparse() and f.type == FEATURE_TYPE_SENTENCE
    ]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else sp.hstack(parts)


def dense_sentences(messages: Sequence[Message], width: int) -> np.ndarray:
    """One row per message: its dense sentence features side by side (zeros if none)."""
    rows = np.zeros((len(messages), width))
    for number, message in enumerate(messages):
        parts = [
            np.asarray(f.features).ravel()
            for f in message.features
            if f.attribute == TEXT and f.is_dense() and f.type == FEATURE_TYPE_SENTENCE
        ]
        if parts:
            row = np.concatenate(parts)
            if len(row) == width:
                rows[number] = row
    return rows


def dense_width(messages: Sequence[Message]) -> int:
    """The width of the dense sentence features of the first message that has any."""
    for message in messages:
        width = sum(
            np.asarray(f.features).shape[-1]
            for f in message.features
            if f.attribute == TEXT and f.is_dense() and f.type == FEATURE_TYPE_SENTENCE
        )
        if width:
            return width
    return 0


def sentence_counts(messages: Sequence[Message], width: int | None = None) -> sp.csr_matrix:
    """One row per message: the sentence-level sparse features of its text (zeros if none)."""
    rows = []
    for message in messages:
        sentence = _sentence_features(message)
        rows.append(sp.csr_matrix(sentence) if sentence is not None else None)
    width = width or max((row.shape[1] for row in rows if row is not None), default=0)
    rows = [row if row is not None and row.shape[1] == width else sp.csr_matrix((1, width)) for row in rows]
    return sp.vstack(rows).tocsr() if rows else sp.csr_matrix((0, width))


def fit_linear_model(
    counts: sp.csr_matrix,
    labels: Sequence[str],
    c: float,
    seed: int,
    dense: np.ndarray | None = None,
    dense_weight: float = 0.0,
) -> LinearModel:
    """Fits the SVM on all examples and the softmax temperature on 3 held-out folds."""
    y = np.asarray(labels)
    documents = counts.shape[0]
    document_frequency = np.bincount(counts.nonzero()[1], minlength=counts.shape[1])
    idf = np.log((1.0 + documents) / (1.0 + document_frequency)) + 1.0
    x = _weigh(counts, idf)
    if dense is not None and dense.shape[1] and dense_weight > 0:
        x = sp.hstack([x, sp.csr_matrix(dense_weight * _unit_rows(dense))]).tocsr()
    else:
        dense_weight = 0.0
    classes, per_class = np.unique(y, return_counts=True)
    if len(classes) < 2:
        raise ValueError("A linear classifier needs at least two labels to train.")

    temperature = 10.0
    if per_class.min() >= 3:
        scores = np.zeros((documents, len(classes)))
        folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=seed)
        for train, held_out in folds.split(x, y):
            svm = LinearSVC(C=c, random_state=seed).fit(x[train], y[train])
            fold_scores = svm.decision_function(x[held_out])
            if fold_scores.ndim == 1:  # two labels: one score, for the second
                fold_scores = np.column_stack([-fold_scores, fold_scores])
            columns = np.searchsorted(classes, svm.classes_)
            scores[np.ix_(held_out, columns)] = fold_scores
        truth = np.searchsorted(classes, y)
        losses = []
        for t in TEMPERATURES:
            probabilities = _softmax(scores * t)
            losses.append(-np.log(probabilities[np.arange(documents), truth] + 1e-12).mean())
        temperature = float(TEMPERATURES[int(np.argmin(losses))])

    svm = LinearSVC(C=c, random_state=seed).fit(x, y)
    coef = svm.coef_ if len(classes) > 2 else np.vstack([-svm.coef_, svm.coef_])
    intercept = svm.intercept_ if len(classes) > 2 else np.array([-svm.intercept_[0], svm.intercept_[0]])
    logger.debug(f"Linear model: {len(classes)} labels, {documents} examples, temperature {temperature}.")
    return LinearModel(
        labels=[str(label) for label in svm.classes_],
        idf=idf,
        coef=np.asarray(coef),
        intercept=np.asarray(intercept),
        temperature=temperature,
        dense_weight=dense_weight,
    )


class _LinearComponent(GraphComponent):
    """Shared training, persistence and loading."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def required_packages() -> list[str]:
        return ["sklearn"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"C": 2.0, "ranking_length": 10, "random_seed": 42, "dense_weight": 0.0}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: LinearModel | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model = model
        self._extra = extra or {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> _LinearComponent:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> _LinearComponent:
        try:
            with model_storage.read_from(resource) as directory:
                model = LinearModel.load(directory, "model")
                extra_path = directory / "extra.json"
                extra = json.loads(extra_path.read_text(encoding="utf-8")) if extra_path.exists() else {}
        except (ValueError, FileNotFoundError):
            logger.warning(f"{cls.__name__}: no trained model found; it will predict nothing.")
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, model, extra)

    def _fit(self, examples: list[Message], labels: list[str]) -> None:
        if len(set(labels)) < 2:
            logger.debug(f"{type(self).__name__}: fewer than two labels, nothing to train.")
            return
        counts = sentence_counts(examples)
        dense_weight = float(self._config["dense_weight"])
        dense = dense_sentences(examples, dense_width(examples)) if dense_weight > 0 else None
        self._model = fit_linear_model(
            counts, labels, self._config["C"], self._config["random_seed"], dense, dense_weight
        )
        with self._model_storage.write_to(self._resource) as directory:
            self._model.save(directory, "model")
            (directory / "extra.json").write_text(
                json.dumps(self._extra, ensure_ascii=False), encoding="utf-8"
            )

    def _ranking(self, messages: list[Message]) -> list[list[tuple[str, float]]]:
        counts = sentence_counts(messages, width=len(self._model.idf))
        dense = dense_sentences(messages, self._model.dense_width) if self._model.dense_width else None
        probabilities = self._model.probabilities(counts, dense)
        limit = self._config["ranking_length"] or len(self._model.labels)
        rankings = []
        for row in probabilities:
            order = np.argsort(-row)[:limit]
            rankings.append([(self._model.labels[i], float(row[i])) for i in order])
        return rankings


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(_LinearComponent, IntentClassifier):
    """Intent (retrieval intents count as their base intent, e.g. `faq`) with a ranking."""

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        self._fit(examples, [e.get(INTENT) for e in examples])
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self._model is None or not messages:
            return messages
        for message, ranking in zip(messages, self._ranking(messages)):
            entries = [{INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: value} for name, value in ranking]
            message.set(INTENT, entries[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, entries, add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearResponseSelector(_LinearComponent):
    """Picks the response key (faq/<topic>, chitchat/<x>) of retrieval intents.

    Its output has the ResponseSelector's shape under the "default" selector, so `rasa test nlu`
    and `action_answer_faq` (actions/faq.py `faq_ranking`, which reads every selector's ranking)
    read it unchanged. Rasa's `utter_faq` retrieval action is not used: the FAQ action picks the
    answer, or asks which topic is meant when the ranking is close."""

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT_RESPONSE_KEY) and e.get(TEXT)]
        self._extra = {
            "responses": training_data.responses,
            "retrieval_intents": sorted(training_data.retrieval_intents),
        }
        self._fit(examples, [e.get(INTENT_RESPONSE_KEY) for e in examples])
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self._model is None or not messages:
            return messages
        responses = self._extra.get("responses") or {}
        for message, ranking in zip(messages, self._ranking(messages)):
            best, confidence = ranking[0]
            template = training_data_util.intent_response_key_to_template_key(best)
            prediction = {
                RESPONSE_SELECTOR_PREDICTION_KEY: {
                    RESPONSE_SELECTOR_RESPONSES_KEY: responses.get(template) or [{TEXT: best}],
                    PREDICTED_CONFIDENCE_KEY: confidence,
                    INTENT_RESPONSE_KEY: best,
                    RESPONSE_SELECTOR_UTTER_ACTION_KEY: template,
                },
                RESPONSE_SELECTOR_RANKING_KEY: [
                    {"id": index, PREDICTED_CONFIDENCE_KEY: value, INTENT_RESPONSE_KEY: key}
                    for index, (key, value) in enumerate(ranking)
                ],
            }
            properties = message.get(RESPONSE_SELECTOR_PROPERTY_NAME, {}) or {}
            properties[RESPONSE_SELECTOR_RETRIEVAL_INTENTS] = self._extra.get("retrieval_intents", [])
            properties[RESPONSE_SELECTOR_DEFAULT_INTENT] = prediction
            message.set(RESPONSE_SELECTOR_PROPERTY_NAME, properties, add_to_output=True)
        return messages

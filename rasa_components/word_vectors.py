"""A dense sentence feature from our own distributional word vectors (issue 14).

The vectors (data/vectors/word_vectors.npz) are learnt from public corpora's train material and
our wordings by `scripts/build_word_vectors.py`; they relate words our wordings never contain to
words they do. A message's feature is the frequency-weighted mean of its words' vectors (smooth
inverse frequency: frequent words such as 我, 的, 怎么 weigh little), unit length; a word without a
vector borrows the mean of its characters' vectors. The linear classifiers read it next to the
sparse n-grams (rasa_components/linear_classifiers.py, `dense_weight`).

Two options, off in config.yml (README "NLU pipeline", 2026-12-06 `nlu-tok`): `pooling: mean`
weighs every word the same (in a bank's own corpora the product words 借款, 还款, 微粒 are as
frequent as 怎么, so SIF's weights count them as little), and `remove_common_component` removes
the direction all training wordings share (SIF's first principal component, Arora et al. 2017).
Together with dense_weight 0.7 they gained 20 of 1,296 development questions but lost 4 of the
350 blind ones, so they were not kept.

The vectors are copied into the model at training time, so a trained model does not need the file.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

VECTORS_FILE = "word_vectors.npz"


class WordVectors:
    """Word → unit vector, with a smooth-inverse-frequency weight per word."""

    def __init__(
        self,
        words: np.ndarray,
        counts: np.ndarray,
        vectors: np.ndarray,
        smoothing: float | None,
        common: np.ndarray | None = None,
    ) -> None:
        self.words = words
        self.counts = counts
        self.vectors = vectors.astype(np.float32)
        # The direction every sentence shares (SIF's first principal component), removed from each.
        self.common = None if common is None or not common.size else common.astype(np.float32)
        self._index = {str(word): i for i, word in enumerate(words)}
        probability = counts / counts.sum()
        if smoothing is None:  # a plain mean
            self._weights = np.ones(len(words), dtype=np.float32)
        else:
            self._weights = (smoothing / (smoothing + probability)).astype(np.float32)

    @property
    def dimensions(self) -> int:
        return self.vectors.shape[1]

    @classmethod
    def read(cls, path: Path, smoothing: float | None) -> WordVectors:
        arrays = np.load(path)
        common = arrays.get("common", None)
        return cls(arrays["words"], arrays["counts"], arrays["vectors"], smoothing, common)

    def write(self, path: Path) -> None:
        np.savez_compressed(
            path,
            words=self.words,
            counts=self.counts,
            vectors=self.vectors.astype(np.float16),
            common=self.common if self.common is not None else np.zeros(0, dtype=np.float32),
        )

    def fit_common(self, sentences: list[list[str]]) -> None:
        """SIF's common component: the first right singular vector of the sentences' weighted means."""
        self.common = None
        rows = np.array([self.sentence(words) for words in sentences])
        rows = rows[np.linalg.norm(rows, axis=1) > 0]
        if len(rows):
            _, _, vt = np.linalg.svd(rows, full_matrices=False)
            self.common = vt[0].astype(np.float32)

    def _word(self, word: str) -> tuple[np.ndarray, float] | None:
        index = self._index.get(word)
        if index is not None:
            return self.vectors[index], self._weights[index]
        known = [self._index[char] for char in word if char in self._index]
        if not known:
            return None
        return self.vectors[known].mean(axis=0), float(self._weights[known].mean())

    def sentence(self, words: list[str]) -> np.ndarray:
        """The weighted mean of the words' vectors, unit length (zeros if no word has one)."""
        total = np.zeros(self.dimensions, dtype=np.float32)
        for word in words:
            found = self._word(word.lower())
            if found is not None:
                vector, weight = found
                total += weight * vector
        if self.common is not None:
            total -= (total @ self.common) * self.common
        norm = np.linalg.norm(total)
        return total / norm if norm > 0 else total


def _smoothing(config: dict[str, Any]) -> float | None:
    """SIF's a for `pooling: sif`; None (a plain mean) for `pooling: mean`."""
    return float(config["smoothing"]) if config["pooling"] == "sif" else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class WordVectorFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the message's word-vector sentence feature (dense, `dimensions` wide)."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            "vectors_path": "data/vectors/word_vectors.npz",
            # Smooth inverse frequency's a (Arora et al. 2017): a word of probability p weighs a/(a+p).
            # "mean" (every word weighs the same) or "sif" (smooth inverse frequency).
            "pooling": "sif",
            "smoothing": 1e-3,
            # Remove the direction all sentences share (SIF's common component), fitted on the
            # training wordings.
            "remove_common_component": False,
        }

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """The vectors file's content, so a rebuilt file retrains what depends on it."""
        path = Path(config.get("vectors_path") or cls.get_default_config()["vectors_path"])
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        pass

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        name: str,
        vectors: WordVectors | None = None,
    ) -> None:
        super().__init__(name, {**self.get_default_config(), **config})
        self._model_storage = model_storage
        self._resource = resource
        self._vectors = vectors

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> WordVectorFeaturizer:
        config = {**cls.get_default_config(), **config}
        vectors = WordVectors.read(Path(config["vectors_path"]), _smoothing(config))
        return cls(config, model_storage, resource, execution_context.node_name, vectors)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> WordVectorFeaturizer:
        config = {**cls.get_default_config(), **config}
        try:
            with model_storage.read_from(resource) as directory:
                vectors = WordVectors.read(directory / VECTORS_FILE, _smoothing(config))
        except (ValueError, FileNotFoundError):
            logger.warning(f"{cls.__name__}: no vectors in the model; it adds no feature.")
            vectors = None
        return cls(config, model_storage, resource, execution_context.node_name, vectors)

    def train(self, training_data: TrainingData) -> Resource:
        if self._config["remove_common_component"]:
            self._vectors.fit_common(
                [
                    [token.text for token in example.get(TOKENS_NAMES[TEXT]) or []]
                    for example in training_data.training_examples
                    if example.get(TEXT)
                ]
            )
        with self._model_storage.write_to(self._resource) as directory:
            self._vectors.write(directory / VECTORS_FILE)
        return self._resource

    def _featurize(self, message: Message) -> None:
        tokens = message.get(TOKENS_NAMES[TEXT])
        if self._vectors is None or not tokens:
            return
        sentence = self._vectors.sentence([token.text for token in tokens])
        self.add_features_to_message(None, sentence[np.newaxis, :], TEXT, message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._featurize(example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._featurize(message)
        return messages

"""The spaCy pipeline that finds entities: blank `zh`, our jieba cut, an entity_ruler.

spaCy's trained Chinese pipelines and pkuseg models come from a download hub, so the pipeline is
built here from files in the repository: the cut of bot/entities/segmentation.py (jieba with the
bank dictionary and the entity vocabulary) and the patterns of bot/entities/patterns.py. It is
saved as a directory `scripts/train.py` names by a hash of its inputs, next to the Rasa model
that loads it through SpacyNLP; the directory also holds the value table the resolver uses, so
the patterns and the values always come from the same build.

Importing this module registers the tokenizer with spaCy, which `spacy.load` needs:
rasa_components/entity_resolver.py imports it, so any Rasa process whose pipeline has the
resolver can load the saved pipeline.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import spacy
from spacy.language import Language
from spacy.pipeline import EntityRuler
from spacy.tokens import Doc
from spacy.util import get_words_and_spaces
from spacy.vocab import Vocab

from bot.text.normalize import normalize_text

from .model import Entity
from .patterns import ValueTable, load_patterns, segmentation_words
from .resolve import resolve_entities
from .segmentation import Segmenter

TOKENIZER_NAME = "bankbot.entity_segmenter.v1"
PIPELINE_NAME = "bank_entities"
VALUES_FILE = "entity_values.json"
# The value table of each pipeline in memory (built here, or read once from its directory).
_value_tables: weakref.WeakKeyDictionary[Language, ValueTable] = weakref.WeakKeyDictionary()


class EntityTokenizer:
    """spaCy tokenizer around `Segmenter`; saves the words it was given with the pipeline."""

    def __init__(self, vocab: Vocab, segmenter: Segmenter | None = None) -> None:
        self.vocab = vocab
        self.segmenter = segmenter or Segmenter()

    def __call__(self, text: str) -> Doc:
        words, spaces = get_words_and_spaces(list(self.segmenter.cut(text)), text)
        return Doc(self.vocab, words=words, spaces=spaces)

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[Doc]:
        for text in texts:
            yield self(text)

    def to_bytes(self, **kwargs: Any) -> bytes:
        return json.dumps(self.segmenter.words, ensure_ascii=False).encode("utf-8")

    def from_bytes(self, data: bytes, **kwargs: Any) -> EntityTokenizer:
        self.segmenter = Segmenter((word, int(freq)) for word, freq in json.loads(data.decode("utf-8")))
        return self

    def to_disk(self, path: str | Path, **kwargs: Any) -> None:
        Path(path).write_bytes(self.to_bytes())

    def from_disk(self, path: str | Path, **kwargs: Any) -> EntityTokenizer:
        return self.from_bytes(Path(path).read_bytes())


@spacy.registry.tokenizers(TOKENIZER_NAME)
def create_entity_tokenizer():
    def make(nlp: Language) -> EntityTokenizer:
        return EntityTokenizer(nlp.vocab)

    return make


def build_pipeline(patterns: list[dict[str, Any]] | None = None) -> Language:
    """A fresh pipeline from the pattern files and the product catalogue (or `patterns`)."""
    patterns = load_patterns() if patterns is None else patterns
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": TOKENIZER_NAME}}})
    cast(EntityTokenizer, nlp.tokenizer).segmenter.add_words(segmentation_words(patterns))
    ruler = cast(
        EntityRuler,
        nlp.add_pipe(
            "entity_ruler",
            config={"phrase_matcher_attr": "LOWER", "validate": True, "overwrite_ents": True},
        ),
    )
    # The ruler reads `label`, `pattern` and `id`; "context" is ours (the value table keeps it).
    ruler.add_patterns([{k: v for k, v in p.items() if k in ("label", "pattern", "id")} for p in patterns])
    nlp.meta["name"] = PIPELINE_NAME
    nlp.meta["description"] = "Bank entities: jieba cut for patterns + entity_ruler (data/entities)"
    _value_tables[nlp] = ValueTable.from_patterns(patterns)
    return nlp


def value_table(nlp: Language) -> ValueTable:
    """The value table that belongs to a pipeline (built with it, or saved beside it)."""
    table = _value_tables.get(nlp)
    if table is None:
        if nlp.path is None:
            raise ValueError("this pipeline was neither built here nor loaded from disk")
        table = ValueTable.from_json((Path(nlp.path) / VALUES_FILE).read_text(encoding="utf-8"))
        _value_tables[nlp] = table
    return table


def find_entities(nlp: Language, text: str, *, now: datetime) -> list[Entity]:
    """The entities of a customer message the way the Rasa pipeline finds them: normalised as
    ChineseNormalizer does (so spans refer to the normalised text), matched, then resolved."""
    if text.startswith("/"):
        return []  # a button payload: Rasa reads it without the NLU pipeline
    normalized = normalize_text(text)
    doc = nlp(normalized)
    matches = [(ent.label_, ent.start_char, ent.end_char) for ent in doc.ents]
    return resolve_entities(normalized, matches, values=value_table(nlp), now=now)


def save_pipeline(nlp: Language, directory: Path) -> None:
    """Writes the pipeline and its value table into `directory` (created)."""
    nlp.to_disk(directory)
    (directory / VALUES_FILE).write_text(value_table(nlp).to_json(), encoding="utf-8")


def load_pipeline(directory: str | Path) -> Language:
    """A saved pipeline, as Rasa's SpacyNLP loads it."""
    return spacy.load(directory)

"""Normalises Chinese text before tokenisation (first in the pipeline).

The tracker keeps what the customer typed (the UserUttered event carries the original text);
only NLU sees the normalised form: see bot/text/normalize.py (traditional → simplified,
full-width → half-width, counted numerals → digits). With `strip_fillers` (config.yml), NLU also
drops what carries no meaning in customers' messages and only dilutes the short ones: opening
courtesies before the actual question ("亲，" "你好请问" "在吗？" "麻烦问一下"), runs of
repeated punctuation ("？？？" "。。。"), and a few frequent typos ("登陆" for 登录). An opening
courtesy that is the whole message ("你好", "在吗") stays: it is the message.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.text.normalize import normalize_text

_SEPARATORS = r"[\s,，.。!！?？~～、:：;；…]*"
_OPENING = re.compile(
    r"^(?:(?:亲爱的|亲亲|亲|您好|你好|哈喽|嗨|hello|hi|在吗|在不在|有人吗|有人在吗|请问一下|请问|"
    r"麻烦问一下|麻烦问下|麻烦请教一下|麻烦一下|麻烦|我想问一下|我想问下|我想问问|想问一下|想问下|"
    r"问一下|问下|打扰一下|打扰了|不好意思)" + _SEPARATORS + r")+",
    re.IGNORECASE,
)
_REPEATED_PUNCTUATION = re.compile(r"([^\w\s])\1+")
# Frequent misspellings of banking words (the wrong form is never meant in a bank's chat).
_TYPOS = {"登陆": "登录", "冲值": "充值", "转帐": "转账", "密马": "密码", "以经": "已经"}
_TYPO = re.compile("|".join(map(re.escape, _TYPOS)))
MIN_REST = 2  # letters or digits the message must keep for an opening courtesy to be dropped


def _meaningful(text: str) -> int:
    return sum(1 for char in text if unicodedata.category(char)[0] in {"L", "N"})


def strip_fillers(text: str) -> str:
    """Drops opening courtesies (unless they are the whole message), collapses repeated
    punctuation and corrects frequent typos."""
    text = _TYPO.sub(lambda m: _TYPOS[m.group(0)], _REPEATED_PUNCTUATION.sub(r"\1", text))
    rest = _OPENING.sub("", text.strip())
    return rest if _meaningful(rest) >= MIN_REST else text


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class ChineseNormalizer(GraphComponent):
    """Traditional → simplified, full-width → half-width, counted Chinese numerals → digits; with
    `strip_fillers`, opening courtesies, repeated punctuation and frequent typos too."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"strip_fillers": False}

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self._strip_fillers = bool({**self.get_default_config(), **(config or {})}["strip_fillers"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ChineseNormalizer:
        return cls(config)

    def _normalise(self, message: Message) -> None:
        text = message.get(TEXT)
        if text and not text.startswith("/"):
            text = normalize_text(text)
            message.set(TEXT, strip_fillers(text) if self._strip_fillers else text)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._normalise(example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._normalise(message)
        return messages

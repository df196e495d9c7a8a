"""Messages in another language get "本服务目前仅支持中文" instead of "请换个说法".

The classifiers only know Chinese: an English question lands on a random intent or the fallback.
A message with at least two letters of another script (kana, hangul, Cyrillic, Arabic, Thai …),
or one with no Chinese character that holds at least two Latin words, or one Latin word of four
or more letters, that are not terms Chinese customers type ("ATM", "POS", "app", "ok"), is put on
`other_language_intent` with full confidence. Button payloads ("/…") and digits are left alone.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_components.intent_override import put_intent_first

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
OTHER_SCRIPTS = re.compile(
    r"[\u3040-\u30ff\u31f0-\u31ff"  # Japanese kana
    r"\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"  # Korean hangul
    r"\u0400-\u04ff\u0600-\u06ff\u0590-\u05ff\u0e00-\u0e7f\u0900-\u097f\u0370-\u03ff]"
)
LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+")
# Latin words Chinese customers type on their own: they do not make a message foreign.
CHINESE_USAGE = {
    "ok",
    "okay",
    "yes",
    "no",
    "atm",
    "pos",
    "app",
    "vip",
    "ukey",
    "wifi",
    "etc",
    "pin",
    "id",
    "nfc",
    "qq",
    "cvv",
    "usb",
    "lpr",
    "sim",
    "apple",
    "pay",
    "iphone",
    "huawei",
    "steam",
    "paypal",
    "mcc",
    "visa",
    "master",
    "mastercard",
}


def is_other_language(text: str) -> bool:
    """ "Can I open an account?", "口座を開きたい" → True; "ATM取不了钱", "ok", "/greet" → False."""
    text = (text or "").strip()
    if not text or text.startswith("/"):
        return False
    # Japanese mixes in Chinese characters; two kana (or letters of another script) decide it.
    if len(OTHER_SCRIPTS.findall(text)) >= 2:
        return True
    if HAN.search(text):
        return False
    words = [w.lower() for w in LATIN_WORD.findall(text)]
    foreign = [w for w in words if w not in CHINESE_USAGE]
    return len(foreign) >= 2 or any(len(w) >= 4 for w in foreign)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class OtherLanguage(GraphComponent, IntentClassifier):
    """Overrides the intent with `other_language_intent` for messages not written in Chinese."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"other_language_intent": "other_language"}

    def __init__(self, config: dict[str, Any]) -> None:
        self._intent = config["other_language_intent"]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> OtherLanguage:
        return cls({**cls.get_default_config(), **config})

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if is_other_language(message.get(TEXT) or ""):
                put_intent_first(message, self._intent)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

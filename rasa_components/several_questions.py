"""Several questions in one message: each question-like clause is classified as well.

"手机银行怎么开通，转账限额多少" holds two questions; the classifiers read the whole message and
pick one topic. `QuestionClauses` (right after the normaliser) adds each question-like clause of
such a message (bot/faq/several.py cuts them) to the batch as a message of its own, so that the
tokenizer, the featurizers, the classifiers and the rules after them read it exactly as they read
any customer message; `QuestionClausesRead` (after the last intent rule, before the entity
components) takes them out of the batch again and records what was read in each clause on the
customer's message, under `question_clauses` ([{text, intent, topic, confidence}], only for a
message with two or more questions). The FAQ action answers one topic and offers the others
(actions/faq.py). Rasa takes the first message of the batch as the parse; the clauses never reach
the tracker except through that record. Training data passes through untouched.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.faq.several import question_clauses
from rasa_components.other_products import predicted_topic

# Set on a clause's message: the position in the batch of the customer's message it came from.
CLAUSE_OF = "question_clause_of"
# Set on the customer's message (and so in the parse the actions read).
QUESTION_CLAUSES = "question_clauses"


def _topic_confidence(message: Message) -> float:
    for selector in (message.get("response_selector") or {}).values():
        if isinstance(selector, dict):
            response = selector.get("response") or {}
            if str(response.get("intent_response_key") or "").startswith("faq/"):
                return float(response.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
    return 0.0


class _PassThroughTraining(GraphComponent, IntentClassifier):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> _PassThroughTraining:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class QuestionClauses(_PassThroughTraining):
    """Adds the question-like clauses of a message with several questions to the batch."""

    def process(self, messages: list[Message]) -> list[Message]:
        batch = list(messages)
        for position, message in enumerate(messages):
            for clause in question_clauses(message.get(TEXT) or ""):
                part = Message(data={TEXT: clause})
                part.set(CLAUSE_OF, position)
                batch.append(part)
        return batch


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class QuestionClausesRead(_PassThroughTraining):
    """Records what was read in each clause on its message and drops the clauses from the batch."""

    def process(self, messages: list[Message]) -> list[Message]:
        customers = [message for message in messages if message.get(CLAUSE_OF) is None]
        for message in messages:
            position = message.get(CLAUSE_OF)
            if position is None or position >= len(customers):
                continue
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            read = {
                "text": message.get(TEXT),
                "intent": intent,
                "topic": predicted_topic(message) if intent == "faq" else None,
                "confidence": _topic_confidence(message) if intent == "faq" else 0.0,
            }
            owner = customers[position]
            owner.set(QUESTION_CLAUSES, [*(owner.get(QUESTION_CLAUSES) or []), read], add_to_output=True)
        return customers

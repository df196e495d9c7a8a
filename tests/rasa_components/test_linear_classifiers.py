"""The linear intent classifier and response selector, trained inside Rasa's own tokenizer and
featurizers on a small set of customer wordings (the real model is exercised by tests/e2e)."""

from __future__ import annotations

import copy

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from actions.faq import faq_ranking
from rasa_components.linear_classifiers import (
    LinearIntentClassifier,
    LinearResponseSelector,
    fit_linear_model,
    sentence_counts,
)

WORDINGS = {
    "greet": ["你好", "您好", "在吗", "哈喽", "早上好", "你好啊", "有人在吗", "晚上好"],
    "request_human": [
        "转人工",
        "人工客服",
        "我要找人工",
        "帮我转人工服务",
        "让真人来回答",
        "找个客服人员",
        "我要人工",
        "接人工",
    ],
    "faq/transfer_limit": [
        "转账限额是多少",
        "一天最多转多少钱",
        "手机银行单笔能转多少",
        "转账额度在哪看",
        "网银转账上限多少",
        "转账有限额吗",
        "每天转账额度多少",
        "转账最多能转多少",
    ],
    "faq/card_lost": [
        "银行卡丢了怎么办",
        "卡掉了要挂失",
        "怎么挂失银行卡",
        "我的卡不见了",
        "银行卡被偷了",
        "卡丢了怎么冻结",
        "挂失借记卡",
        "钱包和卡都丢了",
    ],
    "faq/deposit_rate": [
        "定期存款利率多少",
        "存款利息怎么算",
        "活期利率是多少",
        "三年定期利息高吗",
        "存一年利率多少",
        "现在存款利率",
        "大额存单利率",
        "存钱利息多少",
    ],
}
RESPONSES = {f"utter_{key}": [{"text": f"answer for {key}"}] for key in WORDINGS if key.startswith("faq/")}


def _message(text: str, label: str | None = None) -> Message:
    data = {"text": text}
    if label:
        intent, _, response = label.partition("/")
        data["intent"] = intent
        if response:
            data["intent_response_key"] = label
    return Message(data=data)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = JiebaTokenizer.create(JiebaTokenizer.get_default_config(), storage, Resource("tok"), context)
    featurizers = [
        CountVectorsFeaturizer.create(
            {**CountVectorsFeaturizer.get_default_config(), **cfg}, storage, Resource(name), context
        )
        for name, cfg in [("words", {}), ("chars", {"analyzer": "char", "min_ngram": 1, "max_ngram": 2})]
    ]
    examples = [_message(text, label) for label, texts in WORDINGS.items() for text in texts]
    data = TrainingData(training_examples=examples, responses=RESPONSES)
    tokenizer.process_training_data(data)
    for featurizer in featurizers:
        featurizer.train(data)
        featurizer.process_training_data(data)
    intents = LinearIntentClassifier.create({}, storage, Resource("intents"), context)
    selector = LinearResponseSelector.create({}, storage, Resource("selector"), context)
    intents.train(data)
    selector.train(data)

    def featurize(texts):
        messages = [_message(text) for text in texts]
        tokenizer.process(messages)
        for featurizer in featurizers:
            featurizer.process(messages)
        return messages

    return {
        "storage": storage,
        "context": context,
        "featurize": featurize,
        "intents": intents,
        "selector": selector,
    }


def test_unseen_wordings_get_the_right_intent_with_a_ranking(pipeline):
    texts = ["你好，在不在", "我想找人工客服", "转账一天限额多少", "卡丢了"]
    messages = pipeline["intents"].process(pipeline["featurize"](texts))
    assert [m.get("intent")["name"] for m in messages] == ["greet", "request_human", "faq", "faq"]
    for message in messages:
        ranking = message.get("intent_ranking")
        confidences = [entry["confidence"] for entry in ranking]
        assert confidences == sorted(confidences, reverse=True)
        assert ranking[0] == message.get("intent")
        assert 0 < sum(confidences) <= 1.0 + 1e-9
        assert ranking[0]["confidence"] > 0.4


def test_the_selector_answers_the_right_topic_in_the_response_selector_shape(pipeline):
    [message] = pipeline["selector"].process(pipeline["featurize"](["存款的利率现在是多少"]))
    selector = message.get("response_selector")
    assert "faq" in selector["all_retrieval_intents"]
    response = selector["default"]["response"]
    assert response["intent_response_key"] == "faq/deposit_rate"
    assert response["utter_action"] == "utter_faq/deposit_rate"
    assert response["responses"] == [{"text": "answer for faq/deposit_rate"}]
    # The FAQ action reads the same ranking.
    ranking = faq_ranking({"response_selector": selector})
    assert ranking[0][0] == "deposit_rate"
    assert ranking[0][1] > ranking[1][1]


def test_a_reloaded_model_ranks_exactly_as_the_trained_one(pipeline):
    texts = ["银行卡找不到了", "网银转账的额度", "你好"]
    trained = [
        copy.deepcopy(m.get("intent_ranking"))
        for m in pipeline["intents"].process(pipeline["featurize"](texts))
    ]
    loaded = LinearIntentClassifier.load({}, pipeline["storage"], Resource("intents"), pipeline["context"])
    again = [m.get("intent_ranking") for m in loaded.process(pipeline["featurize"](texts))]
    assert again == trained


def test_a_message_without_known_words_is_a_weak_guess(pipeline):
    [clear, unknown] = pipeline["intents"].process(pipeline["featurize"](["转人工", "😀😀"]))
    assert unknown.get("intent")["confidence"] < clear.get("intent")["confidence"]
    assert unknown.get("intent")["confidence"] < 0.4  # below the fallback threshold in config.yml


def test_two_labels_are_enough_to_train(pipeline):
    labels = ["greet"] * 8 + ["request_human"] * 8
    counts = sentence_counts(pipeline["featurize"](WORDINGS["greet"] + WORDINGS["request_human"]))
    model = fit_linear_model(counts, labels, c=2.0, seed=0)
    probabilities = model.probabilities(sentence_counts(pipeline["featurize"](["您好呀", "给我转人工"])))
    assert [model.labels[row.argmax()] for row in probabilities] == ["greet", "request_human"]


def test_the_classifiers_read_the_same_sentence_features_rasa_combines(pipeline):
    """The classifiers combine the featurizers' sentence features themselves (Rasa's
    `get_sparse_features` deep-copies every feature first); the numbers must be Rasa's, or a
    trained model would read messages differently from how it was trained."""
    messages = pipeline["featurize"](["信用卡丢了怎么挂失", "转账限额多少", "？？"])
    counts = sentence_counts(messages)
    for row, message in enumerate(messages):
        rasas = message.get_sparse_features("text")[1].features
        assert (counts[row] != rasas.tocsr()).nnz == 0

"""The context-free fragment rule in the pipeline (rasa_components/fragments.py, bot/fragments):
which messages it reads as `fragment`, and everything it leaves alone."""

from __future__ import annotations

import jieba
import pytest
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from bot.faq.catalog import load_catalog
from bot.fragments import DICTIONARY_FILE, Lexicon, build_lexicon, known_terms
from bot.text.normalize import normalize_text
from rasa_components.fragments import ContextFreeFragments


def words(text: str) -> list[str]:
    return jieba.lcut(text)


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    """The lexicon the component computes at training time, from our own training data."""
    jieba.load_userdict(str(DICTIONARY_FILE))
    labelled = []
    for example in load_data("data/nlu").intent_examples:
        text = normalize_text(example.get(TEXT))
        labelled.append((example.get(INTENT), text, words(text)))
    titles = [topic.title for topic in load_catalog().topics.values()]
    return build_lexicon(labelled, known_terms=known_terms(titles=titles))


@pytest.fixture
def parsed(lexicon):
    component = ContextFreeFragments(ContextFreeFragments.get_default_config(), None, None, lexicon)

    def parse(text: str, intent: str) -> str:
        tokens, offset = [], 0
        for word in words(text):
            tokens.append(Token(word, offset))
            offset += len(word)
        message = Message(
            data={TEXT: text, INTENT: {INTENT_NAME_KEY: intent, "confidence": 0.7}, "text_tokens": tokens}
        )
        component.process([message])
        return message.get(INTENT)[INTENT_NAME_KEY]

    return parse


@pytest.mark.parametrize(
    "text, intent",
    [
        ("为什么不能用了", "faq"),  # 用 picked a topic
        ("怎么还没到", "faq"),  # 还 read as repaying
        ("开不了", "deny"),  # not a "no": nothing was asked
        ("还是不行", "deny"),
        ("可以了吗", "affirm"),  # a question, not a "yes"
        ("没问题吗", "affirm"),
        ("看看可以不可以", "affirm"),
        ("为啥换不了", "nlu_fallback"),  # "请换个说法" would not help: ask what is meant
        ("怎么关闭", "faq"),
        ("开通需要", "deny"),
        ("那我的呢", "faq"),
        ("刚试了，失败", "faq"),  # jieba's "刚试" is made of closed-class characters
        ("为什么不满足要求？", "faq"),
        # a screen or a step of some app, which app or product not said
        ("怎么进下一步啊", "nlu_fallback"),
        ("页面进不去了", "faq"),
        ("下一步点不了", "faq"),
        # a bare "cancel" names no complaint to withdraw and no loan to cancel
        ("那就取消吧", "complaint_withdraw"),
        ("算了取消", "nlu_fallback"),
        # a feature or an item of some menu, which one not said
        ("没有此项功能", "faq"),
        ("怎么关闭这个功能啊", "faq"),
        ("怎样加", "faq"),
        # where the customer looked (the messaging app, the phone), and that something is missing
        ("微信上没有这一项", "faq"),
        ("微信上为什么没有", "out_of_scope"),  # 微信 is no other company's question here
        ("苹果手机不行", "out_of_scope"),
        ("安卓手机没有吗", "nlu_fallback"),
        ("仅支持苹果手机是吧", "faq"),
    ],
)
def test_a_message_naming_nothing_is_a_fragment(parsed, text, intent):
    assert parsed(text, intent) == "fragment"


@pytest.mark.parametrize(
    "text, intent",
    [
        # plain yes/no answers keep working right after a question
        ("可以", "affirm"),
        ("好的", "affirm"),
        ("嗯嗯", "affirm"),
        ("不用了", "deny"),
        ("不行", "deny"),
        ("还是不要了", "deny"),  # a trained "no" wording
        # yes/no answers jieba cuts into several words (没 + 问题), never trained as such
        ("好的没问题啊", "affirm"),
        ("没问题的呀", "affirm"),
        ("嗯没错", "affirm"),
        ("没这个需要了", "deny"),
        ("别别别", "deny"),
        # greetings, thanks, goodbye, small talk
        ("你好", "greet"),
        ("你好", "faq"),  # courtesies alone, whatever was guessed
        ("啊吧啊吧", "nlu_fallback"),  # particles only: "请换个说法"
        ("谢谢", "thank"),
        ("再见", "goodbye"),
        ("你能做什么", "chitchat"),
        # asking for a person
        ("有人吗", "request_human"),
        ("有人吗", "faq"),
        # dissatisfaction and complaints without a product
        ("太坑了", "express_dissatisfaction"),
        ("太坑了", "faq"),
        ("你们到底管不管", "express_dissatisfaction"),
        ("你们到底管不管", "faq"),
        ("我要投诉", "complain"),
        ("撤回投诉", "complaint_withdraw"),  # names the complaint it withdraws
        ("算了", "deny"),  # a plain no
        # urgent messages (UrgentSignals runs after this rule and keeps its say)
        ("我不想活了", "nlu_fallback"),
        # a bare product term is a topic choice
        ("信用卡", "faq"),
        ("密码", "faq"),
        ("怎么还款", "faq"),
        ("也没有到账", "faq"),
        ("登录页面打不开", "faq"),  # the screen of a named service is a topic choice
        ("借款界面进不去", "faq"),
        # numbers, case references and phone numbers typed into forms
        ("13812345678", "nlu_fallback"),
        ("TS2026112300012", "nlu_fallback"),
        ("5000", "faq"),
        # follow-ups are read against the last answer by their own action
        ("要多久", "followup_time"),
        ("那手续费呢", "followup_fee"),
        # a word the training data does not know may name anything
        ("怎么晒单", "faq"),
        # another company's product (the scope rule's business)
        ("花呗怎么还是用不了", "faq"),
        # long messages carry more than a fragment
        ("为什么我的就是一直都不行呢到底怎么回事啊", "faq"),
        # button payloads
        ("/affirm", "affirm"),
        # a platform with an action on money or a card is a question ("can I repay in WeChat")
        ("微信怎么还", "faq"),
        ("微信能绑吗", "faq"),
        ("微信上绑不了", "faq"),
        # a platform alone, nothing missing: not said to be a problem
        ("微信", "faq"),
        ("苹果手机能用吗", "faq"),
        # out-of-scope without a platform stays out of scope
        ("你在干嘛", "out_of_scope"),
        ("微信怎么发朋友圈", "out_of_scope"),
    ],
)
def test_what_the_rule_leaves_alone(parsed, text, intent):
    assert parsed(text, intent) == intent


def test_the_lexicon_is_computed_from_the_training_data_and_the_catalogue(lexicon):
    # distinctive words of topics and intents, catalogue titles, dictionary entries, entity patterns
    assert {"信用卡", "激活", "额度", "开户", "转人工", "手机银行"} <= lexicon.terms
    assert not {"用", "开", "还", "到", "怎么", "我的"} & lexicon.terms
    assert "还是不要了" in lexicon.yes_no_wordings

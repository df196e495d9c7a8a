"""The knowledge base's answers: complete, checked on load, and read again when edited."""

from __future__ import annotations

import os
import shutil

import pytest

from bot.bank import BankIdentity
from bot.faq.answers import ANSWERS_DIR, AnswerError, AnswerStore, parse_answers, read_answers
from bot.faq.catalog import load_catalog

BANK = BankIdentity(
    name="厦岭银行", hotline="400-820-1234", fraud_line="95123", website="https://www.bank.example"
)


@pytest.fixture()
def answers_dir(tmp_path):
    target = tmp_path / "answers"
    shutil.copytree(ANSWERS_DIR, target)
    return target


def test_every_topic_has_one_answer_and_buttons_are_named_as_the_catalog_names_topics():
    catalog = load_catalog()
    answers = read_answers(ANSWERS_DIR, catalog)
    assert set(answers) == set(catalog.topics)
    reply = AnswerStore(ANSWERS_DIR).rendered("transfer_limit", BANK)
    assert "400-820-1234" in reply.text and "{" not in reply.text
    assert reply.buttons[0] == {
        "title": catalog.topics["transfer_limit_adjust"].title,
        "payload": '/faq_choose{"faq_topic": "transfer_limit_adjust"}',
    }
    assert reply.name == "utter_faq/transfer_limit" and len(reply.version) == 12


def test_a_flow_button_starts_the_flow():
    reply = AnswerStore(ANSWERS_DIR).rendered("complaint_channels", BANK)
    assert {"title": "我要投诉", "payload": "/complain"} in reply.buttons


def test_an_edit_is_served_at_once_and_changes_the_version(answers_dir):
    store = AnswerStore(answers_dir)
    before = store.rendered("branch_hours", BANK)
    path = answers_dir / "service.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("营业", "对外营业", 1), encoding="utf-8")
    after = store.rendered("branch_hours", BANK)
    assert after.text != before.text and after.version != before.version


def test_a_broken_edit_is_refused_and_the_previous_answers_stay(answers_dir, caplog):
    store = AnswerStore(answers_dir)
    before = store.rendered("branch_hours", BANK)
    path = answers_dir / "service.yml"
    path.write_text(path.read_text(encoding="utf-8") + "\nbranch_hours: [unclosed\n", encoding="utf-8")
    os.utime(path, ns=(1, 1))  # a different signature even on a coarse clock
    assert store.rendered("branch_hours", BANK) == before
    assert "refused" in caplog.text


@pytest.mark.parametrize(
    "documents, problem",
    [
        ({"a.yml": {"no_such_topic": {"text": "x"}}}, "unknown topic"),
        ({"a.yml": {"branch_hours": {"text": "请拨打{hotline}"}}}, "unknown placeholders"),
        ({"a.yml": {"branch_hours": {"text": "营业时间", "related": ["no_such_topic"]}}}, "points at"),
        ({"a.yml": {"branch_hours": {"text": "  "}}}, "non-empty text"),
        ({"a.yml": {"branch_hours": {"text": "营业{时间"}}}, "branch_hours"),
    ],
)
def test_an_invalid_answer_is_named(documents, problem):
    with pytest.raises(AnswerError, match=problem):
        parse_answers(documents, load_catalog())


def test_a_topic_without_an_answer_is_refused():
    documents = {"a.yml": {"branch_hours": {"text": "营业时间以网点公告为准。"}}}
    with pytest.raises(AnswerError, match="without an answer"):
        parse_answers(documents, load_catalog())

"""The FAQ catalog, follow-ups in context and the choice between close topics."""

import pytest

from bot.faq.catalog import load_catalog, parse_catalog
from bot.faq.rules import Choice, choose_topic, is_bare_term


def test_the_catalog_has_at_least_80_topics_in_nine_groups():
    catalog = load_catalog()
    assert len(catalog.topics) >= 80
    groups = {topic.group for topic in catalog.topics.values()}
    assert groups == set(catalog.groups) and len(groups) == 9
    for group in groups:
        assert sum(t.group == group for t in catalog.topics.values()) >= 5, group


def test_a_fee_follow_up_after_a_transfer_answer_is_about_transfer_fees():
    catalog = load_catalog()
    assert catalog.followup(last_topic_id="transfer_limit", aspect="fee").id == "transfer_fee"
    assert catalog.followup(last_topic_id="interbank_transfer", aspect="time").id == "transfer_arrival_time"


def test_a_topic_link_wins_over_its_group_link():
    catalog = load_catalog()
    assert catalog.followup(last_topic_id="transfer_limit", aspect="limit").id == "transfer_limit_adjust"
    assert catalog.followup(last_topic_id="interbank_transfer", aspect="limit").id == "transfer_limit"


def test_no_follow_up_without_a_previous_topic_or_a_link():
    catalog = load_catalog()
    assert catalog.followup(last_topic_id=None, aspect="fee") is None
    assert catalog.followup(last_topic_id="fraud_brushing", aspect="fee") is None


def test_a_catalog_with_a_broken_link_is_refused():
    data = {
        "aspects": {"fee": "费用"},
        "groups": {"g": "组"},
        "topics": [{"id": "a", "group": "g", "title": "A"}],
        "followups": {"groups": {"g": {"fee": "missing"}}},
    }
    with pytest.raises(ValueError, match="unknown topic missing"):
        parse_catalog(data)


def test_a_clear_winner_is_answered():
    assert choose_topic([("card_lost", 0.4), ("card_replace", 0.1)]) == Choice(answer="card_lost")
    assert choose_topic([("card_lost", 0.9), ("card_replace", 0.1)]) == Choice(answer="card_lost")


def test_two_close_topics_are_offered():
    assert choose_topic([("card_lost", 0.26), ("card_replace", 0.21), ("x", 0.15)]) == Choice(
        offer=("card_lost", "card_replace")
    )


def test_a_very_confident_topic_is_answered_even_with_a_close_runner_up():
    assert choose_topic([("card_lost", 0.86), ("card_replace", 0.6)]) == Choice(answer="card_lost")


def test_nothing_ranked_or_only_guesses_means_no_answer():
    assert choose_topic([]) == Choice()
    assert choose_topic([("card_activation", 0.07), ("class2_account", 0.06)]) == Choice()


def test_a_bare_business_word_is_offered_whenever_a_second_topic_is_in_view():
    # "信用卡": the selector is sure of 办卡 but a customer may as well mean 还款.
    ranking = [("credit_card_apply", 0.992), ("credit_card_repay", 0.006)]
    assert choose_topic(ranking, bare_term=True) == Choice(offer=("credit_card_apply", "credit_card_repay"))
    assert choose_topic(ranking) == Choice(answer="credit_card_apply")  # a whole question
    # "挂失" leaves nothing beside 挂失.
    assert choose_topic([("card_lost", 0.9999), ("structured_deposit", 0.00001)], bare_term=True) == Choice(
        answer="card_lost"
    )


@pytest.mark.parametrize("text", ["理财", "信用卡？", "手机银行", " 密码!"])
def test_short_words_are_bare_terms(text):
    assert is_bare_term(text)


@pytest.mark.parametrize("text", ["信用卡怎么还款", "转账限额是多少", "", "？？"])
def test_questions_and_empty_text_are_not_bare_terms(text):
    assert not is_bare_term(text)


def test_an_aspect_without_a_name_is_called_by_the_catalog_s_general_name():
    catalog = load_catalog()
    assert catalog.aspect_name("fee") == "手续费或费用"
    assert catalog.aspect_name("colour") == catalog.unknown_aspect == "相关信息"

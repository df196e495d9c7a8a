"""The FAQ catalog, follow-ups in context and the choice between close topics."""

import pytest

from bot.faq.catalog import load_catalog, parse_catalog
from bot.faq.rules import Choice, choose_topic


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

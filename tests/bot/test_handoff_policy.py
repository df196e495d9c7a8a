"""When to offer a person after misunderstandings."""

from bot.handoff.policy import should_offer_person, trailing_misunderstandings


def test_one_misunderstanding_only_asks_to_rephrase():
    assert not should_offer_person([False, True])


def test_two_misunderstandings_in_a_row_offer_a_person():
    assert should_offer_person([False, True, True])
    assert should_offer_person([True, True, True])


def test_an_understood_turn_in_between_resets_the_count():
    assert not should_offer_person([True, False, True])
    assert trailing_misunderstandings([True, True, False]) == 0

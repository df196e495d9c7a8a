"""The case-lookup state machine (bot/cases/lookup.py): no database, the adapter's answers are
given by hand."""

from __future__ import annotations

from datetime import date

from bot.cases import lifecycle, lookup, references
from bot.cases.lookup import Lookup

NUMBER = "TS20261123000123"
REFERENCE = references.format_reference(references.new_reference())


def _view(status=lifecycle.RECEIVED, *, answer=None, needs_rating=False, extension_count=0, reason=None):
    return {
        "number": NUMBER,
        "status": status,
        "status_label": lifecycle.STATUS_LABELS[status],
        "received_on": date(2026, 11, 23),
        "due_on": date(2026, 12, 8),
        "answer": answer,
        "needs_rating": needs_rating,
        "extension_count": extension_count,
        "extension_reason": reason,
    }


def _responses(step):
    return [reply.response for reply in step.replies]


def test_start_offers_own_cases_or_goes_to_the_digits_with_a_reference():
    owned = [f"TS2026112300010{n}" for n in range(7)]
    assert lookup.start(intent="complaint_status", text="我的投诉怎么样了", owned=owned).choices == tuple(
        owned[:5]
    )
    named = lookup.start(intent="complaint_status", text=f"查询投诉{owned[3]}", owned=owned)
    assert named.choices == (owned[3],)
    by_reference = lookup.start(intent="complaint_withdraw", text=f"撤回投诉，查询码 {REFERENCE}")
    assert (by_reference.purpose, by_reference.stage) == (lookup.WITHDRAW, "last4")
    assert lookup.question(by_reference).response == "utter_case_ask_last4"
    assert lookup.question(Lookup(choices=(NUMBER,))).values["buttons"] == [
        {"title": NUMBER, "payload": NUMBER}
    ]


def test_a_number_asks_the_database_and_three_bad_numbers_end_the_lookup():
    step = lookup.step(Lookup(), NUMBER)
    assert step.need == lookup.NEED_OWNED_CASE and step.lookup.number == NUMBER
    state = Lookup()
    for _ in range(2):
        step = lookup.step(state, "12345")
        assert _responses(step) == ["utter_case_bad_number"] and not step.done
        state = step.lookup
    assert lookup.owned_case(state, None).done
    assert _responses(lookup.owned_case(state, None)) == ["utter_case_too_many_numbers"]


def test_the_status_tells_the_deadline_or_the_answer_and_asks_for_a_rating():
    status = lookup.owned_case(Lookup(), _view(extension_count=1, reason="需调取交易流水"))
    reply = status.replies[0]
    assert status.done and reply.values["received_on"] == "2026年11月23日"
    assert reply.values["detail"] == "我们会在2026年12月08日前答复您（因需调取交易流水，处理期限已延长）。"
    answered = lookup.owned_case(Lookup(), _view(lifecycle.ANSWERED, answer="已退款。", needs_rating=True))
    assert answered.replies[0].values["detail"] == "处理答复：已退款。" and answered.lookup.stage == "rating"
    assert lookup.step(answered.lookup, "满意").score == 4  # the handoff rating's words count too
    assert lookup.step(answered.lookup, "五分").need == lookup.NEED_RATING
    assert _responses(lookup.step(answered.lookup, "不评价")) == ["utter_case_stopped"]
    assert lookup.rated(5).replies[0].values == {"score": 5}


def test_last_four_digits_a_correction_or_a_lock():
    state = Lookup(stage="last4", reference=REFERENCE)
    assert lookup.step(state, "后四位是５６７８").last4 == "5678"
    assert _responses(lookup.step(state, "不知道")) == ["utter_case_ask_last4"]
    assert lookup.step(state, NUMBER).need == lookup.NEED_OWNED_CASE  # a correction
    failed = lookup.contact_checked(state, None)
    assert _responses(failed) == ["utter_case_no_match"] and failed.lookup.stage == "number"
    assert lookup.locked(61, lock_minutes=30).replies[0].values == {"minutes": 2}
    assert lookup.locked(None, lock_minutes=45).replies[0].values == {"minutes": 45}


def test_withdrawal_only_of_an_open_case_and_only_when_confirmed():
    state = Lookup(purpose=lookup.WITHDRAW)
    confirm = lookup.owned_case(state, _view())
    assert confirm.lookup.stage == "withdraw_confirm" and not confirm.done
    assert lookup.question(confirm.lookup).values == {"number": NUMBER}
    assert _responses(lookup.owned_case(state, _view(lifecycle.CLOSED))) == ["utter_case_cannot_withdraw"]
    assert lookup.step(confirm.lookup, "确定撤回").need == lookup.NEED_WITHDRAWAL
    assert lookup.step(confirm.lookup, "算了").replies[0].response == "utter_case_not_withdrawn"
    assert lookup.refused("为保护您的信息，请重新查询并核实后再办理。").replies[0].text.startswith("为保护")


def test_the_state_survives_the_slot_and_a_broken_slot_starts_over():
    state = Lookup(
        purpose=lookup.WITHDRAW, stage="last4", reference=REFERENCE, bad_numbers=1, choices=(NUMBER,)
    )
    assert Lookup.from_slot(state.to_slot()) == state
    assert Lookup.from_slot({"stage": "nonsense"}) == Lookup() == Lookup.from_slot(None)

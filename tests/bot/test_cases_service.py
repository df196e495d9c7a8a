"""Complaint cases on a real database: numbers, encryption, lifecycle with audit, checks, purge."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from bot.cases import service
from bot.cases.crypto import CaseCipher
from bot.cases.errors import (
    CaseNotFound,
    ExtensionNeedsSupervisor,
    IllegalTransition,
    InvalidCaseField,
    InvalidCaseNumber,
    ReviewWindowClosed,
)
from bot.cases.models import ComplaintCase, ComplaintCaseEvent
from bot.db import build_session_factory
from bot.staff import service as staff_service
from bot.text.china_time import china_date

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
CIPHER = CaseCipher(Fernet.generate_key().decode())


def _open(session, now=NOW, **overrides):
    fields = dict(
        customer_id="C0001",
        conversation_id="conv-1",
        intake_channel="web",
        description="手机银行转账失败，钱被扣了却没到账",
        request="尽快退回扣款",
        occurred_at="昨天下午",
        contact_phone="138 1234 5678",
        customer_name="王芳",
    )
    fields.update(overrides)
    return service.open_case(session=session, now=now, cipher=CIPHER, **fields)


def _actions(session, case):
    return [
        (e.actor, e.action, e.from_status, e.to_status)
        for e in service.list_events(session=session, case=case)
    ]


def _unique_day():
    """A receipt date no other test uses, so daily sequences start at 1."""
    return NOW + timedelta(days=uuid.uuid4().int % 3000 + 400)


def test_opening_a_case_gives_a_number_a_deadline_and_an_audit_row(session):
    now = _unique_day()
    case = _open(session, now=now)
    day = china_date(now)
    assert case.number == f"TS{day:%Y%m%d}000001"
    assert case.status == "received"
    assert china_date(case.due_at) == day + timedelta(days=15)
    assert (case.channel_code, case.business_code) == ("CH05", "BT04"), "guessed from the description"
    assert case.occurred_when == "昨天下午" and case.intake_channel == "web"
    assert _actions(session, case) == [("assistant", "opened", None, "received")]
    assert _open(session, now=now).number == f"TS{day:%Y%m%d}000002"


def test_the_day_it_happened_and_the_sum_are_kept_as_values(session):
    from datetime import date
    from decimal import Decimal

    case = _open(session, occurred_at="上周五", occurred_on=date(2026, 11, 20), amount=Decimal("5000.5"))
    assert (case.occurred_when, case.occurred_on, case.amount_cents, case.amount_currency) == (
        "上周五",
        date(2026, 11, 20),
        500050,
        "CNY",
    )
    assert service.case_amount(case) == Decimal("5000.50")
    # A day ahead of the receipt (misread words) keeps only the words; filing never fails on it.
    ahead = _open(session, occurred_at="下周一", occurred_on=date(2026, 11, 30))
    assert (ahead.occurred_when, ahead.occurred_on) == ("下周一", None)
    assert _open(session).amount_cents is None and _open(session).amount_currency is None
    with pytest.raises(InvalidCaseField):
        _open(session, amount=Decimal("-3"))


def test_the_contact_is_encrypted_at_rest_and_masked_for_display(session):
    case = _open(session, customer_name="欧阳娜娜")
    assert case.contact_phone_masked == "138****5678" and case.customer_name_masked == "欧***"
    raw = session.execute(
        text("SELECT contact_phone_encrypted, customer_name_encrypted FROM complaint_case WHERE id = :id"),
        {"id": case.id},
    ).one()
    assert "13812345678" not in raw[0] and "欧阳娜娜" not in raw[1]
    assert CIPHER.decrypt(raw[0]) == "13812345678"


def test_given_codes_win_over_the_guess_and_bad_input_is_refused(session):
    case = _open(session, business_code="BT03", reason_code="RS08", channel_code="CH01")
    assert (case.channel_code, case.business_code, case.reason_code) == ("CH01", "BT03", "RS08")
    with pytest.raises(InvalidCaseField):
        _open(session, business_code="BT42")
    with pytest.raises(InvalidCaseField) as bad_phone:
        _open(session, contact_phone="12345")
    assert "手机号码" in bad_phone.value.customer_message
    with pytest.raises(InvalidCaseField):
        _open(session, description="   ")


def test_a_case_is_found_by_any_typed_form_of_its_number(session):
    case = _open(session)
    assert service.get_case_by_number(session=session, number=case.number.lower()).id == case.id
    with pytest.raises(InvalidCaseNumber):
        service.get_case_by_number(session=session, number="12345")
    with pytest.raises(CaseNotFound):
        service.get_case_by_number(session=session, number="TS20991231999999")


def test_the_full_lifecycle_leaves_one_audit_row_per_change(session):
    staff_service.create_staff(
        session=session,
        username="agent-life",
        display_name="李四",
        role="agent",
        password="long-enough-password",
        now=NOW,
    )
    case = _open(session)
    number = case.number
    service.assign(session=session, number=number, username="agent-life", actor="staff:boss", now=NOW)
    service.change_status(
        session=session,
        number=number,
        to_status="in_progress",
        actor="staff:agent-life",
        note="已联系客户",
        now=NOW + timedelta(hours=1),
    )
    service.answer_case(
        session=session,
        number=number,
        text="款项已于今日退回，请查收。",
        actor="staff:agent-life",
        now=NOW + timedelta(days=2),
    )
    assert service.customer_view(case, now=NOW + timedelta(days=2))["needs_rating"]
    service.rate_case(session=session, number=number, satisfaction=4, now=NOW + timedelta(days=3))
    service.change_status(
        session=session,
        number=number,
        to_status="closed",
        actor="staff:agent-life",
        now=NOW + timedelta(days=4),
    )
    assert case.status == "closed" and case.satisfaction == 4 and case.assignee.username == "agent-life"
    assert case.answered_at == NOW + timedelta(days=2) and case.closed_at == NOW + timedelta(days=4)
    assert _actions(session, case) == [
        ("assistant", "opened", None, "received"),
        ("staff:boss", "assigned", None, None),
        ("staff:agent-life", "status_changed", "received", "in_progress"),
        ("staff:agent-life", "answered", "in_progress", "answered"),
        ("customer", "rated", None, None),
        ("staff:agent-life", "status_changed", "answered", "closed"),
    ]
    view = service.customer_view(case, now=NOW + timedelta(days=5))
    assert view["status_label"] == "已办结" and view["answer"] == "款项已于今日退回，请查收。"
    assert not view["needs_rating"]


def test_illegal_changes_are_refused_and_leave_no_trace(session):
    case = _open(session)
    with pytest.raises(IllegalTransition) as refused:
        service.change_status(session=session, number=case.number, to_status="closed", actor="staff:a")
    assert "已受理" in refused.value.customer_message and "已办结" in refused.value.customer_message
    with pytest.raises(IllegalTransition):
        service.change_status(session=session, number=case.number, to_status="answered", actor="staff:a")
    with pytest.raises(IllegalTransition):
        service.rate_case(session=session, number=case.number, satisfaction=5)
    assert case.status == "received" and len(_actions(session, case)) == 1


def test_a_withdrawal_stops_handling_for_good(session):
    case = _open(session)
    service.withdraw_case(
        session=session, number=case.number, note="客户已自行解决", now=NOW + timedelta(hours=2)
    )
    assert case.status == "withdrawn" and case.withdrawn_at == NOW + timedelta(hours=2)
    assert service.deadline_flag(case, now=NOW + timedelta(days=30)) is None
    for attempt in (
        lambda: service.withdraw_case(session=session, number=case.number),
        lambda: service.answer_case(session=session, number=case.number, text="答复", actor="staff:a"),
        lambda: service.extend_case(
            session=session, number=case.number, reason="复杂", actor="staff:a", actor_role="agent"
        ),
    ):
        with pytest.raises(IllegalTransition):
            attempt()


def test_extensions_move_the_deadline_and_the_second_needs_a_supervisor(session):
    case = _open(session)
    service.extend_case(
        session=session,
        number=case.number,
        reason="需调取交易流水",
        actor="staff:a",
        actor_role="agent",
        now=NOW + timedelta(days=10),
    )
    assert case.extension_count == 1
    assert china_date(case.due_at) == china_date(NOW) + timedelta(days=30)
    assert service.customer_view(case, now=NOW)["extension_reason"] == "需调取交易流水"
    with pytest.raises(ExtensionNeedsSupervisor):
        service.extend_case(
            session=session,
            number=case.number,
            reason="涉及第三方机构",
            actor="staff:a",
            actor_role="agent",
            approval_note="同意",
        )
    service.extend_case(
        session=session,
        number=case.number,
        reason="涉及第三方机构",
        actor="staff:boss",
        actor_role="supervisor",
        approval_note="部门负责人批准",
        now=NOW + timedelta(days=25),
    )
    assert china_date(case.due_at) == china_date(NOW) + timedelta(days=60)
    notes = [e.note for e in service.list_events(session=session, case=case) if e.action == "extended"]
    assert notes == ["extension 1: 需调取交易流水", "extension 2: 涉及第三方机构 (approval: 部门负责人批准)"]


def test_a_review_within_30_days_reopens_with_a_fresh_deadline(session):
    case = _open(session)
    service.answer_case(session=session, number=case.number, text="已处理", actor="staff:a", now=NOW)
    service.change_status(session=session, number=case.number, to_status="closed", actor="staff:a", now=NOW)
    review_at = NOW + timedelta(days=20)
    service.reopen_case(session=session, number=case.number, note="客户对答复不满意", now=review_at)
    assert case.status == "in_progress" and case.closed_at is None
    assert china_date(case.due_at) == china_date(review_at) + timedelta(days=15)
    assert _actions(session, case)[-1] == ("customer", "reopened", "closed", "in_progress")

    late = _open(session)
    service.answer_case(session=session, number=late.number, text="已处理", actor="staff:a", now=NOW)
    with pytest.raises(ReviewWindowClosed):
        service.reopen_case(session=session, number=late.number, now=NOW + timedelta(days=31))


def test_ratings_are_one_to_five(session):
    case = _open(session)
    service.answer_case(session=session, number=case.number, text="已处理", actor="staff:a", now=NOW)
    for bad in (0, 6, "5", True):
        with pytest.raises(InvalidCaseField):
            service.rate_case(session=session, number=case.number, satisfaction=bad)
    service.rate_case(session=session, number=case.number, satisfaction=1)
    assert case.satisfaction == 1


def test_lists_filter_by_status_deadline_and_classification(session):
    customer = f"C-{uuid.uuid4().hex[:8]}"
    fresh = _open(session, customer_id=customer, now=NOW, business_code="BT03")
    old = _open(session, customer_id=customer, now=NOW - timedelta(days=13), business_code="BT02")
    late = _open(session, customer_id=customer, now=NOW - timedelta(days=20), business_code="BT02")
    answered_late = _open(session, customer_id=customer, now=NOW - timedelta(days=20))
    service.answer_case(session=session, number=answered_late.number, text="已处理", actor="staff:a", now=NOW)

    def numbers(**filters):
        page = service.list_cases(session=session, customer_id=customer, now=NOW, **filters)
        return [c.number for c in page.items]

    assert numbers(due="overdue") == [late.number]
    assert numbers(due="due_soon") == [old.number]
    assert numbers(business_code="BT02") == [late.number, old.number], "most urgent first"
    assert numbers(status="answered") == [answered_late.number]
    assert numbers(status=["received", "answered"]) == [
        late.number,
        answered_late.number,
        old.number,
        fresh.number,
    ]
    assert service.list_cases(session=session, customer_id=customer, limit=1).total == 4
    assert [c.number for c in service.list_customer_cases(session=session, customer_id=customer)] == [
        fresh.number,
        old.number,
        answered_late.number,
        late.number,
    ]
    with pytest.raises(InvalidCaseField):
        service.list_cases(session=session, due="someday")


def test_revealing_the_contact_is_audited(session):
    staff = staff_service.create_staff(
        session=session,
        username="agent-reveal",
        display_name="赵六",
        role="agent",
        password="long-enough-password",
        now=NOW,
    )
    analyst = staff_service.create_staff(
        session=session,
        username="analyst-reveal",
        display_name="钱七",
        role="analyst",
        password="long-enough-password",
        now=NOW,
    )
    case = _open(session)
    contact = service.reveal_contact(session=session, number=case.number, staff=staff, now=NOW, cipher=CIPHER)
    assert (contact.phone, contact.name) == ("13812345678", "王芳")
    assert _actions(session, case)[-1] == ("staff:agent-reveal", "contact_revealed", None, None)
    with pytest.raises(service.Forbidden):
        service.reveal_contact(session=session, number=case.number, staff=analyst, now=NOW, cipher=CIPHER)


def test_purge_removes_only_cases_ended_more_than_three_years_ago(session):
    long_ago = NOW - timedelta(days=3 * 366 + 10)
    old_closed = _open(session, now=long_ago)
    service.answer_case(
        session=session, number=old_closed.number, text="已处理", actor="staff:a", now=long_ago
    )
    service.change_status(
        session=session, number=old_closed.number, to_status="closed", actor="staff:a", now=long_ago
    )
    old_withdrawn = _open(session, now=long_ago)
    service.withdraw_case(session=session, number=old_withdrawn.number, now=long_ago)
    old_open = _open(session, now=long_ago)  # never answered: must never be purged
    old_answered = _open(session, now=long_ago)  # answered but not closed: kept
    service.answer_case(
        session=session, number=old_answered.number, text="已处理", actor="staff:a", now=long_ago
    )
    recent_closed = _open(session, now=NOW - timedelta(days=365))
    service.answer_case(
        session=session,
        number=recent_closed.number,
        text="已处理",
        actor="staff:a",
        now=NOW - timedelta(days=365),
    )
    service.change_status(
        session=session,
        number=recent_closed.number,
        to_status="closed",
        actor="staff:a",
        now=NOW - timedelta(days=365),
    )
    old_ids = [old_closed.id, old_withdrawn.id]

    dry = service.purge_closed_cases(session=session, now=NOW, dry_run=True)
    removed = service.purge_closed_cases(session=session, now=NOW)
    assert [p.number for p in dry] == [p.number for p in removed]
    purged = {p.number for p in removed}
    assert {old_closed.number, old_withdrawn.number} <= purged
    assert not {old_open.number, old_answered.number, recent_closed.number} & purged
    remaining = set(session.scalars(select(ComplaintCase.number)))
    assert old_open.number in remaining and old_closed.number not in remaining
    events = session.scalars(select(ComplaintCaseEvent).where(ComplaintCaseEvent.case_id.in_(old_ids)))
    assert list(events) == []
    assert service.purge_closed_cases(session=session, now=NOW, older_than_years=5) == []


def test_two_replicas_opening_cases_at_once_never_share_a_number(engine):
    """Each thread has its own connection and transaction, like two API replicas."""
    factory = build_session_factory(engine)
    day = _unique_day()
    results: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def replica():
        try:
            start.wait()
            for _ in range(5):
                with factory.begin() as db:
                    results.append(_open(db, now=day, customer_id="C-concurrency").number)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=replica) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert errors == []
        prefix = f"TS{china_date(day):%Y%m%d}"
        assert sorted(results) == [f"{prefix}{n:06d}" for n in range(1, 11)]
    finally:
        with factory.begin() as db:
            ids = list(db.scalars(select(ComplaintCase.id).where(ComplaintCase.number.in_(results))))
            db.execute(ComplaintCaseEvent.__table__.delete().where(ComplaintCaseEvent.case_id.in_(ids)))
            db.execute(ComplaintCase.__table__.delete().where(ComplaintCase.id.in_(ids)))


def test_the_purge_command_prints_what_it_removed(tmp_path, monkeypatch, capsys):
    from bot.db import build_engine
    from scripts import purge_cases
    from scripts.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'purge.db'}"
    upgrade(url)
    engine = build_engine(url)
    long_ago = datetime.now(UTC) - timedelta(days=4 * 365)
    with build_session_factory(engine).begin() as db:
        old = _open(db, now=long_ago)
        service.withdraw_case(session=db, number=old.number, now=long_ago)
        kept = _open(db, now=long_ago)
    monkeypatch.setenv("DATABASE_URL", url)
    assert purge_cases.main(["--dry-run"]) == 0
    assert f"Would remove {old.number} (withdrawn on" in capsys.readouterr().out
    assert purge_cases.main([]) == 0
    out = capsys.readouterr().out
    assert f"Removed {old.number}" in out and "Removed 1 case(s)" in out and kept.number not in out
    with build_session_factory(engine).begin() as db:
        assert list(db.scalars(select(ComplaintCase.number))) == [kept.number]
    engine.dispose()

"""Quality figures over the conversations matching a filter. Every figure carries `filter`:
the list's query parameters that show the conversations behind it."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from bot.cases import classification, deadlines, lifecycle
from bot.cases.models import ComplaintCase
from bot.handoff import lifecycle as handoff_lifecycle
from bot.text.china_time import ZONE_NAME

from . import labels, outcomes
from .models import TranscriptConversation as C
from .models import TranscriptConversationIntent, TranscriptMessage
from .query import ConversationFilter, apply
from .search import index_terms

TOP_INTENTS = 10
TOP_GROUPS = 10
UNRECOGNISED_SAMPLE = 3000
SIMILARITY = 0.5
DEADLINE_LABELS = {"on_time": "期限内", "due_soon": "即将到期", "overdue": "已逾期", "closed": "已办结"}


def _china_day(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(ZONE_NAME, C.started_at))
    return func.date(C.started_at, "+8 hours")  # SQLite keeps UTC text; China has no DST


def dashboard(
    *, session: Session, filters: ConversationFilter, now: datetime, due_soon_days: int = 3
) -> dict[str, Any]:
    """Daily conversations; the self-service, handoff, unresolved and fallback rates over the
    conversations in which the customer wrote (definitions in bot.transcripts.outcomes); top
    intents with FAQ topics apart, by their Chinese names; handoff reasons; unrecognised phrases
    (free text only, never a form's answer) grouped by similarity; complaints by classification
    and deadline; satisfaction."""
    scope = apply(select(C.conversation_id), filters).scalar_subquery()
    base = filters.params()
    spoke = C.customer_message_count > 0
    totals = session.execute(
        apply(
            select(
                func.count(),
                func.sum(case((spoke, 1), else_=0)),
                func.sum(case((C.outcome == outcomes.SELF_SERVICE, 1), else_=0)),
                func.sum(case((C.outcome == outcomes.HANDED_OFF, 1), else_=0)),
                func.sum(case((C.outcome == outcomes.UNRESOLVED, 1), else_=0)),
                func.sum(case((and_(spoke, C.fallback_count > 0), 1), else_=0)),
                func.sum(case((C.complaint_filed.is_(True), 1), else_=0)),
                func.sum(case((C.assessment_done.is_(True), 1), else_=0)),
            ).select_from(C),
            filters,
        )
    ).one()
    total, spoken, self_service, handed_off, unresolved, fallback, complaints, assessments = (
        int(v or 0) for v in totals
    )

    def rate(count: int) -> float | None:
        return round(count / spoken, 4) if spoken else None

    day = _china_day(session)
    daily = [
        {"date": str(d), "count": n, "filter": filters.params(date_from=str(d), date_to=str(d))}
        for d, n in session.execute(
            apply(select(day, func.count()).select_from(C), filters).group_by(day).order_by(day)
        )
    ]
    intents = [
        {
            "intent": intent,
            "label": labels.intent_label(intent),
            "count": n,
            "filter": filters.params(intent=intent),
        }
        for intent, n in session.execute(
            select(TranscriptConversationIntent.intent, func.count())
            .where(TranscriptConversationIntent.conversation_id.in_(scope))
            .group_by(TranscriptConversationIntent.intent)
            .order_by(func.count().desc(), TranscriptConversationIntent.intent)
            .limit(TOP_INTENTS)
        )
    ]
    reasons = [
        {
            "reason": reason,
            "label": handoff_lifecycle.REASON_LABELS.get(reason or "", "未记录原因"),
            "count": n,
            "filter": filters.params(handed_off=True, handoff_reason=reason)
            if reason
            else filters.params(handed_off=True),
        }
        for reason, n in session.execute(
            apply(select(C.handoff_reason, func.count()).select_from(C), filters)
            .where(C.handed_off.is_(True))
            .group_by(C.handoff_reason)
            .order_by(func.count().desc())
        )
    ]
    ratings = dict(
        session.execute(
            apply(select(C.satisfaction, func.count()).select_from(C), filters)
            .where(C.satisfaction.is_not(None))
            .group_by(C.satisfaction)
        ).all()
    )
    rated = sum(ratings.values())
    average = round(sum(score * n for score, n in ratings.items()) / rated, 2) if rated else None
    return {
        "filter": base,
        "totals": {
            "total_conversations": total,
            "customer_conversations": spoken,
            "contained": self_service,
            "handed_off": handed_off,
            "unresolved": unresolved,
            "fallback": fallback,
            "complaint_filed": complaints,
            "assessment_done": assessments,
            "containment_rate": rate(self_service),
            "handoff_rate": rate(handed_off),
            "unresolved_rate": rate(unresolved),
            "fallback_rate": rate(fallback),
            "filters": {
                "total_conversations": base,
                "customer_conversations": filters.params(customer_spoke=True),
                "contained": filters.params(outcome=outcomes.SELF_SERVICE),
                "handed_off": filters.params(outcome=outcomes.HANDED_OFF),
                "unresolved": filters.params(outcome=outcomes.UNRESOLVED),
                "fallback": filters.params(fallback=True),
                "complaint_filed": filters.params(complaint_filed=True),
                "assessment_done": filters.params(assessment_done=True),
            },
        },
        "definitions": outcomes.DEFINITIONS,
        "daily": daily,
        "top_intents": intents,
        "handoff_reasons": reasons,
        "unrecognised": unrecognised_groups(session=session, filters=filters),
        "complaints": complaint_figures(
            session=session, filters=filters, now=now, due_soon_days=due_soon_days
        ),
        "satisfaction": {
            "average": average,
            "count": rated,
            "filter": filters.params(satisfaction="rated"),
            "distribution": [
                {
                    "score": score,
                    "count": ratings.get(score, 0),
                    "filter": filters.params(satisfaction=str(score)),
                }
                for score in range(1, 6)
            ],
        },
    }


def complaint_figures(
    *, session: Session, filters: ConversationFilter, now: datetime, due_soon_days: int
) -> dict[str, Any]:
    """Complaint cases filed in the matching conversations, by business type and deadline."""
    scope = apply(select(C.conversation_id), filters).scalar_subquery()
    cases = session.execute(
        select(ComplaintCase.business_code, ComplaintCase.status, ComplaintCase.due_at).where(
            ComplaintCase.conversation_id.in_(scope)
        )
    ).all()
    drill = filters.params(complaint_filed=True)
    by_business: Counter[str | None] = Counter()
    by_deadline: Counter[str] = Counter()
    for business, status, due in cases:
        by_business[business] += 1
        is_open = lifecycle.is_open(status)
        flag = deadlines.deadline_flag(due=due, now=now, is_open=is_open, due_soon_days=due_soon_days)
        by_deadline[flag or ("on_time" if is_open else "closed")] += 1
    return {
        "total": len(cases),
        "filter": drill,
        "by_classification": [
            {
                "code": code,
                "label": classification.label("business", code) if code else "未分类",
                "count": n,
                "filter": drill,
            }
            for code, n in by_business.most_common()
        ],
        "by_deadline": [
            {
                "status": status,
                "label": DEADLINE_LABELS[status],
                "count": by_deadline[status],
                "filter": drill,
            }
            for status in DEADLINE_LABELS
            if by_deadline[status]
        ],
    }


def unrecognised_groups(*, session: Session, filters: ConversationFilter) -> list[dict[str, Any]]:
    """The latest free-text customer messages that fell back (a form's answers never count),
    grouped greedily by jieba-term Jaccard
    similarity (≥ 0.5 with the group's first message); the largest groups first."""
    scope = apply(select(C.conversation_id), filters).scalar_subquery()
    texts = session.scalars(
        select(TranscriptMessage.normalized_text)
        .where(
            TranscriptMessage.fallback.is_(True),
            TranscriptMessage.sender == "customer",
            TranscriptMessage.form.is_(None),
            TranscriptMessage.conversation_id.in_(scope),
        )
        .order_by(TranscriptMessage.id.desc())
        .limit(UNRECOGNISED_SAMPLE)
    ).all()
    groups: list[dict[str, Any]] = []
    for text in texts:
        if not text:
            continue
        terms = frozenset(index_terms(text))
        for group in groups:
            union = len(terms | group["terms"])
            if union and len(terms & group["terms"]) / union >= SIMILARITY:
                group["texts"][text] += 1
                break
        else:
            groups.append({"terms": terms, "texts": Counter({text: 1})})
    groups.sort(key=lambda g: -sum(g["texts"].values()))
    out = []
    for group in groups[:TOP_GROUPS]:
        phrase = group["texts"].most_common(1)[0][0]
        out.append(
            {
                "phrase": phrase,
                "count": sum(group["texts"].values()),
                "examples": [t for t, _ in group["texts"].most_common(5)],
                "filter": filters.params(fallback=True, q=phrase),
            }
        )
    return out


def scope_of(filters: ConversationFilter, **changes: Any) -> ConversationFilter:
    return dataclasses.replace(filters, **changes)

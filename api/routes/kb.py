"""Knowledge-base API: the FAQ answers' versions, their review, history and audit trail.

Every route needs `Authorization: Bearer <staff token>`. Reading (topics, history, preview, audit,
suggestions) is for kb_editor and kb_reviewer; writing a draft and withdrawing one's own draft is
for kb_editor; approving and rejecting is for kb_reviewer; an admin holds both roles. Nobody
approves or rejects their own draft (403, an admin neither). An approved version serves customers
at the next answer on every replica (no new model, no restart), from its effective time when one
was given (已排期 until then). Times are ISO 8601 in UTC.

GET  /api/kb/topics?q=&group=&state=published|pending|scheduled   topics with their state
GET  /api/kb/topics/{topic_id}                  history (newest first), audit trail
POST /api/kb/topics/{topic_id}/drafts            a new wording, waiting for review → 201
POST /api/kb/preview                             a wording as the chat widget shows it + warnings
GET  /api/kb/versions/{version_id}               one version
GET  /api/kb/diff?old=<id>&new=<id>              side-by-side comparison of two versions
POST /api/kb/versions/{version_id}/approve       {comment?}
POST /api/kb/versions/{version_id}/reject        {comment}
POST /api/kb/versions/{version_id}/withdraw      its author only
GET  /api/kb/events?topic_id=                    the audit trail, newest first
GET  /api/kb/suggestions                         topics analysts marked as missing in transcripts
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from bot import bank as bank_identity
from bot.db import utcnow
from bot.faq import console, quality, review
from bot.faq import diff as answer_diff
from bot.faq import service as faq_service
from bot.faq.catalog import load_catalog
from bot.faq.models import FaqAnswerEvent
from bot.staff import roles
from bot.staff.models import StaffAccount

from ..deps import SessionDep, SettingsDep
from ..params import MAX_ROW_ID, RowId
from ..schemas.kb import (
    DecisionBody,
    DiffRead,
    DraftBody,
    EventListRead,
    EventRead,
    GroupOption,
    MissingTopicRead,
    PreviewBody,
    PreviewRead,
    SuggestionListRead,
    TopicDetailRead,
    TopicItem,
    TopicListRead,
    VersionBrief,
    VersionRead,
)
from ..staff_auth import require_role

router = APIRouter(prefix="/api/kb", tags=["knowledge base"])

KbStaff = Annotated[StaffAccount, Depends(require_role(*roles.KB_ROLES))]
Editor = Annotated[StaffAccount, Depends(require_role(roles.KB_EDITOR))]
Reviewer = Annotated[StaffAccount, Depends(require_role(roles.KB_REVIEWER))]
VersionId = Annotated[int, Query(ge=1, le=MAX_ROW_ID)]

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in, or the login expired."},
    403: {"description": "The role may not do this, or the reviewer wrote the draft (four eyes)."},
    404: {"description": "Unknown topic or version."},
}
DECISION_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    409: {"description": "The version was already decided."},
    422: {"description": "A rejection without a comment, or a wording the catalog no longer fits."},
}


def _topic_item(row: console.TopicRow) -> TopicItem:
    current = row.current
    return TopicItem(
        topic_id=row.topic_id,
        title=row.title,
        group=row.group,
        group_label=row.group_label,
        states=row.states,
        state_labels=[review.VERSION_LABELS[state] for state in row.states],
        current=VersionBrief(id=current.id, number=current.number, effective_at=current.effective_at)
        if current
        else None,
        pending_count=row.pending_count,
        next_scheduled_at=row.next_scheduled_at,
        wording_count=row.wording_count,
        f1=row.f1,
        excerpt=row.excerpt,
    )


def _version_read(view: console.VersionView, names: dict[str, str]) -> VersionRead:
    version = view.version
    return VersionRead(
        id=version.id,
        topic_id=version.topic_id,
        number=version.number,
        text=version.text,
        rendered_text=view.rendered.text,
        related=list(version.related or []),
        buttons=view.rendered.buttons,
        status=version.status,
        state=view.state,
        state_label=review.VERSION_LABELS[view.state],
        effective_from=version.effective_from,
        effective_at=version.effective_at,
        author=version.author,
        author_name=names.get(version.author, version.author),
        note=version.note,
        created_at=version.created_at,
        reviewer=version.reviewer,
        reviewer_name=names.get(version.reviewer, version.reviewer) if version.reviewer else None,
        review_comment=version.review_comment,
        decided_at=version.decided_at,
        warnings=[{"code": w.code, "message": w.message} for w in view.warnings],
    )


def _event_read(event: FaqAnswerEvent, names: dict[str, str]) -> EventRead:
    return EventRead(
        id=event.id,
        version_id=event.version_id,
        topic_id=event.topic_id,
        action=event.action,
        action_label=review.ACTION_LABELS.get(event.action, event.action),
        actor=event.actor,
        actor_name=names.get(event.actor, event.actor),
        comment=event.comment,
        created_at=event.created_at,
    )


def _one_version(session: Session, version_id: int) -> VersionRead:
    view = console.version_view(
        session=session, version_id=version_id, now=utcnow(), bank=bank_identity.configured()
    )
    names = console.staff_names(session=session, usernames=[view.version.author, view.version.reviewer])
    return _version_read(view, names)


@router.get("/topics", response_model=TopicListRead, responses=ERRORS)
def list_topics(
    session: SessionDep,
    settings: SettingsDep,
    _: KbStaff,
    q: str | None = Query(None, max_length=50, description="Part of the topic id, title or published text."),
    group: str | None = Query(None, max_length=32),
    state: Literal["published", "pending", "scheduled"] | None = None,
) -> TopicListRead:
    """The catalog's topics with their answer's state, training wordings and last F1."""
    rows, report_at = console.topic_rows(
        session=session, now=utcnow(), report_dir=settings.nlu_report_dir, q=q, group=group, state=state
    )
    groups = [GroupOption(code=code, label=label) for code, label in load_catalog().groups.items()]
    return TopicListRead(items=[_topic_item(row) for row in rows], groups=groups, report_at=report_at)


@router.get("/topics/{topic_id}", response_model=TopicDetailRead, responses=ERRORS)
def get_topic(topic_id: str, session: SessionDep, settings: SettingsDep, _: KbStaff) -> TopicDetailRead:
    """One topic: every version (newest first) as customers read it, and its audit trail."""
    now = utcnow()
    _state, views = console.topic_detail(
        session=session, topic_id=topic_id, now=now, bank=bank_identity.configured()
    )
    rows, _report_at = console.topic_rows(session=session, now=now, report_dir=settings.nlu_report_dir)
    row = next(row for row in rows if row.topic_id == topic_id)
    events = console.audit_trail(session=session, topic_id=topic_id)
    names = console.staff_names(
        session=session,
        usernames=[v.version.author for v in views]
        + [v.version.reviewer for v in views]
        + [e.actor for e in events],
    )
    return TopicDetailRead(
        topic=_topic_item(row),
        versions=[_version_read(view, names) for view in views],
        events=[_event_read(event, names) for event in events],
    )


@router.post(
    "/topics/{topic_id}/drafts",
    response_model=VersionRead,
    status_code=201,
    responses={
        **ERRORS,
        409: {"description": "Another draft took the number; retry."},
        422: {"description": "The wording breaks a rule of the knowledge base."},
    },
)
def create_draft(topic_id: str, body: DraftBody, session: SessionDep, editor: Editor) -> VersionRead:
    """Saves a new wording of the topic's answer; it waits for a reviewer (待审核)."""
    version = faq_service.create_draft(
        session=session,
        topic_id=topic_id,
        text=body.text,
        related=[item if isinstance(item, str) else item.dict() for item in body.related],
        effective_from=body.effective_from,
        note=body.note,
        author=editor.username,
        now=utcnow(),
    )
    return _one_version(session, version.id)


@router.post("/preview", response_model=PreviewRead, responses=ERRORS)
def preview(body: PreviewBody, session: SessionDep, _: KbStaff) -> PreviewRead:
    """The wording as the chat widget shows it (placeholders filled, buttons titled), with the
    warnings a reviewer should read, and why it would be refused, if it would."""
    now = utcnow()
    state, _versions = faq_service.topic_history(session=session, topic_id=body.topic_id, now=now)
    shown = console.preview(
        topic_id=body.topic_id,
        text=body.text,
        related=[item if isinstance(item, str) else item.dict() for item in body.related],
        published_text=state.current.text if state.current else None,
        bank=bank_identity.configured(),
    )
    return PreviewRead(
        text=shown.text,
        buttons=shown.buttons,
        warnings=[{"code": w.code, "message": w.message} for w in shown.warnings],
        error=shown.error,
    )


@router.get("/versions/{version_id}", response_model=VersionRead, responses=ERRORS)
def get_version(version_id: RowId, session: SessionDep, _: KbStaff) -> VersionRead:
    return _one_version(session, version_id)


@router.get("/diff", response_model=DiffRead, responses=ERRORS)
def diff_versions(old: VersionId, new: VersionId, session: SessionDep, _: KbStaff) -> DiffRead:
    """Two versions side by side: the left marks what was removed, the right what was added."""
    before, after = faq_service.comparable_versions(session=session, old_id=old, new_id=new)
    left, right = answer_diff.side_by_side(before.text, after.text)
    return DiffRead(
        old=VersionBrief(id=before.id, number=before.number, effective_at=before.effective_at),
        new=VersionBrief(id=after.id, number=after.number, effective_at=after.effective_at),
        left=[{"text": s.text, "kind": s.kind} for s in left],
        right=[{"text": s.text, "kind": s.kind} for s in right],
    )


@router.post("/versions/{version_id}/approve", response_model=VersionRead, responses=DECISION_ERRORS)
def approve(version_id: RowId, body: DecisionBody, session: SessionDep, reviewer: Reviewer) -> VersionRead:
    """Publishes a draft someone else wrote (at once, or from its effective time)."""
    faq_service.approve(
        session=session, version_id=version_id, reviewer=reviewer.username, comment=body.comment, now=utcnow()
    )
    return _one_version(session, version_id)


@router.post("/versions/{version_id}/reject", response_model=VersionRead, responses=DECISION_ERRORS)
def reject(version_id: RowId, body: DecisionBody, session: SessionDep, reviewer: Reviewer) -> VersionRead:
    """Sends a draft back to its author with a comment."""
    faq_service.reject(
        session=session, version_id=version_id, reviewer=reviewer.username, comment=body.comment, now=utcnow()
    )
    return _one_version(session, version_id)


@router.post("/versions/{version_id}/withdraw", response_model=VersionRead, responses=DECISION_ERRORS)
def withdraw(version_id: RowId, session: SessionDep, editor: Editor) -> VersionRead:
    """Its author takes a draft back before it is decided."""
    faq_service.withdraw(session=session, version_id=version_id, author=editor.username, now=utcnow())
    return _one_version(session, version_id)


@router.get("/events", response_model=EventListRead, responses=ERRORS)
def list_events(
    session: SessionDep, _: KbStaff, topic_id: str | None = Query(None, max_length=64)
) -> EventListRead:
    """Who drafted, approved, rejected or withdrew what, newest first (200 at most)."""
    events = console.audit_trail(session=session, topic_id=topic_id)
    names = console.staff_names(session=session, usernames=[event.actor for event in events])
    return EventListRead(items=[_event_read(event, names) for event in events])


@router.get("/suggestions", response_model=SuggestionListRead, responses=ERRORS)
def list_suggestions(session: SessionDep, _: KbStaff) -> SuggestionListRead:
    """Questions analysts marked "知识库缺少此主题" in transcripts, grouped by their note."""
    return SuggestionListRead(
        items=[
            MissingTopicRead(note=item.note, count=item.count, last_at=item.last_at, examples=item.examples)
            for item in quality.missing_topics(session=session)
        ]
    )

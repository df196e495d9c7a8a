"""Analyst API: masked transcripts, tags, annotations, exports and the quality dashboard.

Every route needs `Authorization: Bearer <staff token>` of an analyst (or an admin): none → 401,
another role (agent, supervisor) → 403. Text is masked when it is stored, so nothing here can
return unmasked personal data. Times are ISO 8601 in UTC; dates (`date_from`, `date_to`) are
China days (Asia/Shanghai), inclusive.

Filters (the list, the exports and the dashboard take the same query parameters):
    date_from, date_to   YYYY-MM-DD
    channel              web | app
    intent               conversations where the customer had this intent at least once; FAQ
                         turns carry their topic ("faq/card_lost"), and "faq" finds every topic
    outcome              self_service | handed_off | unresolved (bot.transcripts.outcomes)
    customer_spoke       true | false (the customer wrote at least once)
    max_confidence       0..1: the lowest customer-message confidence is below it
    fallback             true | false (a customer message fell back)
    handed_off           true | false;  handoff_reason  request | misunderstood | complaint | …
    complaint_filed, assessment_done   true | false
    satisfaction         1..5 | rated | unrated
    tag                  exact tag
    entity, entity_value conversations whose customer named an entity of this type (AMOUNT, DATE,
                         TIME, CHANNEL, CARD_TYPE, PRODUCT, RISK_LEVEL, BANK, CARD_TAIL,
                         CASE_NUMBER, CURRENCY) and/or this value (中国工商银行, 手机银行, WM-R2-090)
    q                    full-text search, jieba-segmented: one customer or agent message holds
                         every word of q (assistant replies are not searched)
    answer_version_id    conversations in which the assistant gave this FAQ answer version
                         (the knowledge base's version id, /api/kb/…)

GET    /api/analyst/conversations?<filters>&sort=-started_at|started_at|min_confidence|
       -message_count|-last_message_at&page=1&page_size=20 (≤100)
       → {items: [ConversationItem], total, page, page_size, filter: {…}}
       ConversationItem = {conversation_id, channel, customer_id, started_at, last_message_at,
       message_count, first_customer_text, intents: [str], intent_labels: [str], min_confidence,
       fallback_count, handed_off, handoff_reason, complaint_filed, case_number, assessment_done,
       satisfaction, customer_message_count, callback_requested, outcome, outcome_label, tags: [str]}
GET    /api/analyst/conversations/{id}
       → {conversation: ConversationItem, messages: [{id, sender, text (a button press: the
       button's title), normalized_text, intent, intent_label, confidence, entities: [{entity,
       label, value, display, text}], fallback, form, requested_slot (a form's answer), payload (a
       button press), buttons: [{title, payload}], agent_name, action_name, answer_version_id
       (an FAQ reply: the knowledge base's answer version shown), created_at,
       annotations: [Annotation]}],
       events: [{kind: handoff_requested|handback|complaint_filed|assessment_done|rating, detail,
       created_at}], tags: [str], annotations: [Annotation]}
POST   /api/analyst/conversations/{id}/tags {tag}            → {tags: [str]}
PUT    /api/analyst/conversations/{id}/tags/{tag}            → {tags: [str]}
DELETE /api/analyst/conversations/{id}/tags/{tag}            → {tags: [str]}
GET    /api/analyst/tags                                     → {items: [{tag, count}]}
GET    /api/analyst/entities                                 → {items: [{entity, label, value, count}]}
       (entity values named in conversations, most named first: the entity filter's choices)
POST   /api/analyst/conversations/{id}/annotations {message_id, correct_intent?, note?}
       → 201 Annotation = {id, message_id, correct_intent, note, author, created_at}
DELETE /api/analyst/conversations/{id}/annotations/{annotation_id} → 204
GET    /api/analyst/conversations/{id}/story                 → Rasa test story YAML (attachment)
GET    /api/analyst/export/conversations.csv?<filters>       → CSV, one row per message (streamed)
GET    /api/analyst/export/conversations.jsonl?<filters>     → one conversation per line (streamed)
GET    /api/analyst/export/nlu-corrections?<filters>         → Rasa NLU YAML of annotated intents
GET    /api/analyst/dashboard?<filters>
       → {filter, totals: {total_conversations, customer_conversations, contained, handed_off,
       unresolved, fallback, complaint_filed, assessment_done, containment_rate, handoff_rate,
       unresolved_rate, fallback_rate (rates over customer_conversations; see
       bot.transcripts.outcomes), filters: {<name>: {…}}}, definitions: {<figure>: Chinese text},
       daily: [{date, count, filter}], top_intents: [{intent, label, count, filter}],
       handoff_reasons: [{reason, label, count, filter}],
       unrecognised: [{phrase, count, examples: [str], filter}],
       complaints: {total, filter, by_classification: [{code, label, count, filter}],
                    by_deadline: [{status: on_time|due_soon|overdue|closed, label, count, filter}]},
       satisfaction: {average, count, filter, distribution: [{score, count, filter}]}}
       Each `filter` is the query string (as an object) of the list behind that figure.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import sessionmaker

from bot.db import utcnow
from bot.staff import roles
from bot.staff.models import StaffAccount
from bot.transcripts import dashboard as dashboard_service
from bot.transcripts import export as export_service
from bot.transcripts import query as transcript_query
from bot.transcripts.query import ConversationFilter

from ..deps import SessionDep, SessionFactoryDep, SettingsDep
from ..params import MAX_PAGE, MAX_ROW_ID, RowId
from ..schemas.analyst import (
    AnnotationBody,
    AnnotationRead,
    ConversationDetail,
    ConversationPage,
    Dashboard,
    EntityValueList,
    TagBody,
    TagList,
    TagsRead,
)
from ..staff_auth import require_role

router = APIRouter(prefix="/api/analyst", tags=["analyst"])
Analyst = Annotated[StaffAccount, Depends(require_role(roles.ANALYST))]

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in, or the login expired."},
    403: {"description": "The role is not analyst (or admin)."},
}


def conversation_filter(
    date_from: date | None = None,
    date_to: date | None = None,
    channel: str | None = Query(None, max_length=16),
    intent: str | None = Query(None, max_length=100),
    max_confidence: float | None = Query(None, ge=0, le=1),
    fallback: bool | None = None,
    handed_off: bool | None = None,
    handoff_reason: str | None = Query(None, max_length=16),
    complaint_filed: bool | None = None,
    assessment_done: bool | None = None,
    satisfaction: str | None = Query(None, pattern="^([1-5]|rated|unrated)$"),
    tag: str | None = Query(None, max_length=50),
    q: str | None = Query(None, max_length=100),
    outcome: Literal["self_service", "handed_off", "unresolved"] | None = None,
    customer_spoke: bool | None = None,
    entity: str | None = Query(None, max_length=32, pattern="^[A-Z_]+$"),
    entity_value: str | None = Query(None, max_length=64),
    answer_version_id: int | None = Query(None, ge=1, le=MAX_ROW_ID),
) -> ConversationFilter:
    """The shared filters of the list, the exports and the dashboard."""
    return ConversationFilter(
        date_from=date_from,
        date_to=date_to,
        channel=channel or None,
        intent=intent or None,
        max_confidence=max_confidence,
        fallback=fallback,
        handed_off=handed_off,
        handoff_reason=handoff_reason or None,
        complaint_filed=complaint_filed,
        assessment_done=assessment_done,
        satisfaction=satisfaction or None,
        tag=tag or None,
        q=(q or "").strip() or None,
        outcome=outcome,
        customer_spoke=customer_spoke,
        entity=entity or None,
        entity_value=(entity_value or "").strip() or None,
        answer_version_id=answer_version_id,
    )


FilterDep = Annotated[ConversationFilter, Depends(conversation_filter)]


# What the non-JSON routes send, for the OpenAPI document (each route sets its own charset).
class YamlResponse(Response):
    media_type = "application/x-yaml"


class CsvResponse(StreamingResponse):
    media_type = "text/csv"


class NdjsonResponse(StreamingResponse):
    media_type = "application/x-ndjson"


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"}


@router.get("/conversations", response_model=ConversationPage, responses=ERRORS)
def list_conversations(
    session: SessionDep,
    _: Analyst,
    filters: FilterDep,
    sort: Literal[
        "-started_at", "started_at", "min_confidence", "-message_count", "-last_message_at"
    ] = "-started_at",
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(20, ge=1, le=100),
) -> dict[str, Any]:
    """Conversations matching the filters, one page, with the total."""
    items, total = transcript_query.list_conversations(
        session=session, filters=filters, sort=sort, page=page, page_size=page_size
    )
    return {"items": items, "total": total, "page": page, "page_size": page_size, "filter": filters.params()}


@router.get(
    "/conversations/{conversation_id}",
    response_model=ConversationDetail,
    responses={**ERRORS, 404: {"description": "Unknown conversation."}},
)
def get_conversation(conversation_id: str, session: SessionDep, _: Analyst) -> dict[str, Any]:
    """One transcript with intents, confidences, annotations, events and tags."""
    return transcript_query.conversation_detail(session=session, conversation_id=conversation_id)


@router.post("/conversations/{conversation_id}/tags", response_model=TagsRead, responses=ERRORS)
def add_tag(conversation_id: str, body: TagBody, session: SessionDep, analyst: Analyst) -> dict[str, Any]:
    tags = transcript_query.add_tag(
        session=session, conversation_id=conversation_id, tag=body.tag, author=analyst.username, now=utcnow()
    )
    return {"tags": tags}


@router.put("/conversations/{conversation_id}/tags/{tag}", response_model=TagsRead, responses=ERRORS)
def put_tag(conversation_id: str, tag: str, session: SessionDep, analyst: Analyst) -> dict[str, Any]:
    tags = transcript_query.add_tag(
        session=session, conversation_id=conversation_id, tag=tag, author=analyst.username, now=utcnow()
    )
    return {"tags": tags}


@router.delete("/conversations/{conversation_id}/tags/{tag}", response_model=TagsRead, responses=ERRORS)
def delete_tag(conversation_id: str, tag: str, session: SessionDep, _: Analyst) -> dict[str, Any]:
    return {"tags": transcript_query.remove_tag(session=session, conversation_id=conversation_id, tag=tag)}


@router.get("/tags", response_model=TagList, responses=ERRORS)
def list_tags(session: SessionDep, _: Analyst) -> dict[str, Any]:
    return {"items": transcript_query.all_tags(session=session)}


@router.get("/entities", response_model=EntityValueList, responses=ERRORS)
def list_entity_values(session: SessionDep, _: Analyst) -> dict[str, Any]:
    """Entity values named in conversations, with how many conversations named each."""
    return {"items": transcript_query.entity_values(session=session)}


@router.post(
    "/conversations/{conversation_id}/annotations",
    response_model=AnnotationRead,
    status_code=201,
    responses=ERRORS,
)
def annotate(
    conversation_id: str, body: AnnotationBody, session: SessionDep, analyst: Analyst
) -> dict[str, Any]:
    annotation = transcript_query.annotate_message(
        session=session,
        conversation_id=conversation_id,
        message_id=body.message_id,
        correct_intent=body.correct_intent,
        note=body.note,
        author=analyst.display_name,
        now=utcnow(),
    )
    return transcript_query.annotation_item(annotation)


@router.delete(
    "/conversations/{conversation_id}/annotations/{annotation_id}", status_code=204, responses=ERRORS
)
def delete_annotation(
    conversation_id: str, annotation_id: RowId, session: SessionDep, _: Analyst
) -> Response:
    transcript_query.delete_annotation(
        session=session, conversation_id=conversation_id, annotation_id=annotation_id
    )
    return Response(status_code=204)


@router.get("/conversations/{conversation_id}/story", response_class=YamlResponse, responses=ERRORS)
def conversation_story(conversation_id: str, session: SessionDep, _: Analyst) -> Response:
    """The conversation as a Rasa test story (YAML)."""
    story = export_service.test_story_yaml(session, conversation_id)
    return Response(
        story,
        media_type="application/x-yaml; charset=utf-8",
        headers=_attachment(f"test_story_{conversation_id}.yml"),
    )


def _stream(factory: sessionmaker, produce, filters: ConversationFilter) -> Iterator[bytes]:
    """Runs an export in its own session (the request's is gone once streaming starts)."""
    with factory() as session:
        for chunk in produce(session, filters):
            yield chunk.encode("utf-8")


@router.get("/export/conversations.csv", response_class=CsvResponse, responses=ERRORS)
def export_csv(factory: SessionFactoryDep, _: Analyst, filters: FilterDep) -> StreamingResponse:
    """Messages of the matching conversations, one CSV row each (UTF-8 with BOM), streamed."""
    return StreamingResponse(
        _stream(factory, export_service.csv_lines, filters),
        media_type="text/csv; charset=utf-8",
        headers=_attachment("conversations.csv"),
    )


@router.get("/export/conversations.jsonl", response_class=NdjsonResponse, responses=ERRORS)
def export_jsonl(factory: SessionFactoryDep, _: Analyst, filters: FilterDep) -> StreamingResponse:
    """One JSON line per matching conversation with its messages, streamed."""
    return StreamingResponse(
        _stream(factory, export_service.jsonl_lines, filters),
        media_type="application/x-ndjson; charset=utf-8",
        headers=_attachment("conversations.jsonl"),
    )


@router.get("/export/nlu-corrections", response_class=YamlResponse, responses=ERRORS)
def export_nlu(session: SessionDep, _: Analyst, filters: FilterDep) -> Response:
    """Annotated corrections (customer text → correct intent) as Rasa NLU training data."""
    return Response(
        export_service.nlu_corrections_yaml(session, filters),
        media_type="application/x-yaml; charset=utf-8",
        headers=_attachment("nlu_corrections.yml"),
    )


@router.get("/dashboard", response_model=Dashboard, responses=ERRORS)
def get_dashboard(
    session: SessionDep, settings: SettingsDep, _: Analyst, filters: FilterDep
) -> dict[str, Any]:
    """Quality figures over the matching conversations; every figure links to its list."""
    return dashboard_service.dashboard(
        session=session, filters=filters, now=utcnow(), due_soon_days=settings.case_due_soon_days
    )

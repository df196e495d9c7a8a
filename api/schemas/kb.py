"""Request and response bodies of the knowledge-base API (api/routes/kb.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, StrictStr

TopicState = Literal["published", "pending", "scheduled"]
VersionState = Literal["pending", "published", "scheduled", "superseded", "rejected", "withdrawn"]


class FlowButton(BaseModel):
    """A button that starts a flow instead of another answer ("我要投诉" → /complain)."""

    intent: StrictStr = Field(..., min_length=1, max_length=64)
    title: StrictStr = Field(..., min_length=1, max_length=20)


Related = list[StrictStr | FlowButton]


class Button(BaseModel):
    title: str
    payload: str


class WarningRead(BaseModel):
    code: str = Field(
        ..., description="too_long | figure_guidance_missing | unknown_related_topic | personal_data"
    )
    message: str


class VersionBrief(BaseModel):
    id: int
    number: int
    effective_at: datetime | None


class TopicItem(BaseModel):
    topic_id: str
    title: str
    group: str
    group_label: str
    states: list[TopicState] = Field(
        ..., description="published, pending (待审核) and/or scheduled (已排期)."
    )
    state_labels: list[str]
    current: VersionBrief | None = Field(None, description="The version customers get now.")
    pending_count: int
    next_scheduled_at: datetime | None
    wording_count: int | None = Field(None, description="Training wordings in data/nlu (None: not deployed).")
    f1: float | None = Field(None, description="F1 of the topic in the last `make nlu-report`.")
    excerpt: str = Field(..., description="The start of the published wording.")


class GroupOption(BaseModel):
    code: str
    label: str


class TopicListRead(BaseModel):
    items: list[TopicItem]
    groups: list[GroupOption]
    report_at: datetime | None = Field(None, description="When the cross-validation report was written.")


class VersionRead(BaseModel):
    id: int
    topic_id: str
    number: int
    text: str = Field(..., description="As stored, with {bank_hotline}-style placeholders.")
    rendered_text: str = Field(..., description="As the customer reads it.")
    related: Related
    buttons: list[Button]
    status: Literal["pending", "approved", "rejected", "withdrawn"]
    state: VersionState
    state_label: str
    effective_from: datetime | None = Field(None, description="Publication time the editor asked for.")
    effective_at: datetime | None = Field(None, description="Approved: when it serves customers.")
    author: str
    author_name: str
    note: str | None
    created_at: datetime
    reviewer: str | None
    reviewer_name: str | None
    review_comment: str | None
    decided_at: datetime | None
    warnings: list[WarningRead] = Field(default_factory=list, description="Pending versions only.")


class EventRead(BaseModel):
    id: int
    version_id: int
    topic_id: str
    action: Literal["seeded", "drafted", "approved", "rejected", "withdrawn"]
    action_label: str
    actor: str
    actor_name: str
    comment: str | None
    created_at: datetime


class TopicDetailRead(BaseModel):
    topic: TopicItem
    versions: list[VersionRead] = Field(..., description="Newest first.")
    events: list[EventRead] = Field(..., description="The topic's audit trail, newest first.")


class EventListRead(BaseModel):
    items: list[EventRead]


class DraftBody(BaseModel):
    text: StrictStr = Field(..., min_length=1, max_length=1000)
    related: Related = Field(default_factory=list, max_items=8)
    effective_from: datetime | None = Field(
        None, description="Publish from this time (with a time zone); none: at approval."
    )
    note: StrictStr | None = Field(None, max_length=500, description="Why the wording changes.")


class DecisionBody(BaseModel):
    comment: StrictStr | None = Field(None, max_length=500, description="Required to reject.")


class PreviewBody(BaseModel):
    topic_id: StrictStr = Field(..., min_length=1, max_length=64)
    text: StrictStr = Field(..., max_length=1000)
    related: Related = Field(default_factory=list, max_items=8)


class PreviewRead(BaseModel):
    text: str
    buttons: list[Button]
    warnings: list[WarningRead]
    error: str | None = Field(
        None, description="Why the knowledge base would refuse it; None: it may be saved."
    )


class Segment(BaseModel):
    text: str
    kind: Literal["same", "removed", "added"]


class DiffRead(BaseModel):
    old: VersionBrief
    new: VersionBrief
    left: list[Segment]
    right: list[Segment]


class MissingTopicRead(BaseModel):
    note: str = Field(..., description="The analyst's note: the topic they would add.")
    count: int
    last_at: datetime
    examples: list[str] = Field(..., description="Customers' messages, masked.")


class SuggestionListRead(BaseModel):
    items: list[MissingTopicRead]

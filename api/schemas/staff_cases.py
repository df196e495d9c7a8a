"""Bodies of the staff API for complaint cases (api/routes/staff_cases.py)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field, StrictStr

CaseStatus = Literal["received", "in_progress", "answered", "closed", "withdrawn"]


class CodeLabel(BaseModel):
    code: str
    label: str


class CaseListItem(BaseModel):
    number: str
    status: CaseStatus
    status_label: str
    received_at: datetime
    due_at: datetime
    days_left: int | None = Field(None, description="Calendar days to the deadline; open cases only.")
    deadline_flag: Literal["overdue", "due_soon"] | None
    channel: CodeLabel | None
    business: CodeLabel | None
    reason: CodeLabel | None
    customer_name_masked: str | None
    contact_phone_masked: str | None
    assignee: str | None = Field(None, description="Username of the handling agent.")
    assignee_name: str | None = Field(None, description="Display name of the handling agent.")
    extension_count: int
    summary: str = Field(..., description="The start of the description.")


class CasePageRead(BaseModel):
    items: list[CaseListItem]
    total: int
    page: int
    page_size: int


class CaseEventRead(BaseModel):
    actor: str
    actor_name: str | None = Field(None, description="Display name when the actor is a member of staff.")
    action: str
    from_status: str | None
    to_status: str | None
    note: str | None
    created_at: datetime


class CaseRead(CaseListItem):
    customer_id: str | None
    description: str
    request: str | None
    occurred_when: str | None
    occurred_on: date | None
    amount: Decimal | None
    amount_currency: str | None
    intake_channel: str
    conversation_id: str | None
    extension_reason: str | None
    extension_approval_note: str | None
    answer_text: str | None
    answered_at: datetime | None
    closed_at: datetime | None
    withdrawn_at: datetime | None
    satisfaction: int | None
    events: list[CaseEventRead]
    staff_names: dict[str, str] = Field(
        {}, description="Display names of the staff the audit trail names, by username."
    )


class CaseStatusChange(BaseModel):
    status: CaseStatus
    note: StrictStr | None = Field(None, max_length=4000)


class CaseAnswer(BaseModel):
    text: StrictStr = Field(..., max_length=4000, description="The answer the customer will see.")


class CaseExtension(BaseModel):
    reason: StrictStr = Field(..., max_length=4000, description="Told to the customer.")
    approval_note: StrictStr | None = Field(
        None, max_length=4000, description="Required (supervisor only) for the second extension."
    )


class CaseAssignment(BaseModel):
    username: StrictStr = Field(..., max_length=64)


class CaseContactRead(BaseModel):
    number: str
    contact_phone: str | None
    customer_name: str | None

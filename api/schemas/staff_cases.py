"""Bodies of the staff API for complaint cases (api/routes/staff_cases.py)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal, Optional

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
    days_left: Optional[int] = Field(None, description="Calendar days to the deadline; open cases only.")
    deadline_flag: Optional[Literal["overdue", "due_soon"]]
    channel: Optional[CodeLabel]
    business: Optional[CodeLabel]
    reason: Optional[CodeLabel]
    customer_name_masked: Optional[str]
    contact_phone_masked: Optional[str]
    assignee: Optional[str] = Field(None, description="Username of the handling agent.")
    assignee_name: Optional[str] = Field(None, description="Display name of the handling agent.")
    extension_count: int
    summary: str = Field(..., description="The start of the description.")


class CasePageRead(BaseModel):
    items: list[CaseListItem]
    total: int
    page: int
    page_size: int


class CaseEventRead(BaseModel):
    actor: str
    actor_name: Optional[str] = Field(None, description="Display name when the actor is a member of staff.")
    action: str
    from_status: Optional[str]
    to_status: Optional[str]
    note: Optional[str]
    created_at: datetime


class CaseRead(CaseListItem):
    customer_id: Optional[str]
    description: str
    request: Optional[str]
    occurred_when: Optional[str]
    occurred_on: Optional[date]
    amount: Optional[Decimal]
    amount_currency: Optional[str]
    intake_channel: str
    conversation_id: Optional[str]
    extension_reason: Optional[str]
    extension_approval_note: Optional[str]
    answer_text: Optional[str]
    answered_at: Optional[datetime]
    closed_at: Optional[datetime]
    withdrawn_at: Optional[datetime]
    satisfaction: Optional[int]
    events: list[CaseEventRead]
    staff_names: dict[str, str] = Field({}, description="Display names of the staff the audit trail names, by username.")


class CaseStatusChange(BaseModel):
    status: CaseStatus
    note: Optional[StrictStr] = Field(None, max_length=4000)


class CaseAnswer(BaseModel):
    text: StrictStr = Field(..., max_length=4000, description="The answer the customer will see.")


class CaseExtension(BaseModel):
    reason: StrictStr = Field(..., max_length=4000, description="Told to the customer.")
    approval_note: Optional[StrictStr] = Field(
        None, max_length=4000, description="Required (supervisor only) for the second extension."
    )


class CaseAssignment(BaseModel):
    username: StrictStr = Field(..., max_length=64)


class CaseContactRead(BaseModel):
    number: str
    contact_phone: Optional[str]
    customer_name: Optional[str]

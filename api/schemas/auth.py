"""Bodies of the staff login API (api/routes/auth.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, StrictStr


class LoginRequest(BaseModel):
    username: StrictStr = Field(..., max_length=64)
    password: StrictStr = Field(..., max_length=256)


class StaffRead(BaseModel):
    username: str
    display_name: str
    role: Literal["agent", "supervisor", "analyst", "admin", "kb_editor", "kb_reviewer"]
    role_label: str


class LoginRead(BaseModel):
    token: str = Field(..., description="Send as `Authorization: Bearer <token>`.")
    expires_at: datetime
    staff: StaffRead


class Me(BaseModel):
    staff: StaffRead
    expires_at: datetime

"""Bodies of the analyst API (api/routes/analyst.py)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..params import MAX_ROW_ID


class TagBody(BaseModel):
    tag: str = Field(min_length=1, max_length=50)


class AnnotationBody(BaseModel):
    message_id: int = Field(..., ge=1, le=MAX_ROW_ID)
    correct_intent: str | None = Field(None, max_length=100)
    note: str | None = Field(None, max_length=1000)

"""Bounds shared by the path, query and body parameters of every route, so that the OpenAPI
document states them and an out-of-range value is a 422, never a database overflow (500).

Row ids are PostgreSQL `integer` columns (SQLite would take up to 2**63 - 1); a page number is
bounded so that its offset stays far inside any database's range."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

MAX_ROW_ID = 2**31 - 1
MAX_PAGE = 100_000

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="A row id (1 to 2³¹−1).")]
AfterId = Annotated[
    int, Query(ge=0, le=MAX_ROW_ID, description="Only messages after this id (0: from the start).")
]
Page = Annotated[int, Query(ge=1, le=MAX_PAGE)]
# Conversation ids are 32 hex characters; anything longer is not one.
ConversationId = Annotated[str, Path(min_length=1, max_length=64)]


def clamp_row_id(value: int) -> int:
    """A client's `after_id` in a WebSocket frame, kept inside the row id range."""
    return max(0, min(value, MAX_ROW_ID))

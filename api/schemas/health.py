"""Bodies of the health probes (api/routes/health.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ComponentHealth(BaseModel):
    status: Literal["ok", "down"]


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    components: dict[str, ComponentHealth]


class Liveness(BaseModel):
    status: Literal["ok"] = Field(..., description="Always ok: the process answers (no dependency is asked).")

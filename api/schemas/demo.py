"""Bodies of the demo identity API (api/routes/demo.py)."""

from __future__ import annotations

from pydantic import BaseModel, StrictStr


class DemoCustomerRead(BaseModel):
    id: str
    name: str
    note: str


class DemoIdentityCreate(BaseModel):
    customer_id: StrictStr


class DemoIdentity(BaseModel):
    identity_token: str
    customer: DemoCustomerRead

"""Demo customers for testers (DEMO_MODE=true only): chat as a seeded customer from the page.

In production the bank's site or app signs the identity token; here the API signs it for one of
the demo customers so the suitability and questionnaire flows can be tried without a bank login.
It signs with the demo's own key and issuer ("bankchat-demo", bot/identity/secret.py), never with
the bank's secret, and production refuses to start in demo mode.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from bot.db import utcnow
from bot.errors import NotFound
from bot.identity.demo import find_demo_customer, load_demo_customers

from ..schemas.demo import DemoCustomerRead, DemoIdentity, DemoIdentityCreate

router = APIRouter(prefix="/api/demo", tags=["demo"])


def _require_demo_mode(request: Request) -> None:
    if not request.app.state.settings.demo_mode:
        raise NotFound("demo mode is off (DEMO_MODE=false)")


@router.get("/customers", response_model=list[DemoCustomerRead])
def list_demo_customers(request: Request) -> list[DemoCustomerRead]:
    """The demo customers a tester may chat as."""
    _require_demo_mode(request)
    return [DemoCustomerRead(id=c.id, name=c.name, note=c.note) for c in load_demo_customers()]


@router.post("/identity", response_model=DemoIdentity)
def demo_identity(body: DemoIdentityCreate, request: Request) -> DemoIdentity:
    """A signed identity token for a demo customer, as the bank's site would issue it."""
    _require_demo_mode(request)
    customer = find_demo_customer(body.customer_id)
    if customer is None:
        raise NotFound(f"no demo customer {body.customer_id!r}")
    token = request.app.state.identity.sign_demo(customer.id, now=utcnow())
    return DemoIdentity(
        identity_token=token,
        customer=DemoCustomerRead(id=customer.id, name=customer.name, note=customer.note),
    )

"""End to end, on the running product: the action server runs actions only for Rasa (the shared
token endpoints.yml sends), and a customer id reaches the actions only when the API signed it. A
caller of Rasa's REST webhook who names a customer gets what an anonymous customer gets; the
same customer through the API, with a verified identity, gets the questionnaire."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.e2e.test_assessment import _open
from tests.e2e.test_conversation import say, texts

pytestmark = pytest.mark.e2e


def _action_call(sender: str) -> dict:
    return {
        "next_action": "action_start_assessment",
        "sender_id": sender,
        "version": "3.6.21",
        "tracker": {
            "sender_id": sender,
            "slots": {},
            "latest_message": {
                "text": "我要做风险评估",
                "intent": {"name": "start_assessment"},
                "metadata": {"customer_id": "D1002", "channel": "app"},
            },
            "events": [],
            "active_loop": {},
        },
        "domain": {},
    }


def test_the_action_server_refuses_callers_without_rasas_token(live_product):
    url = f"http://127.0.0.1:{live_product.action_port}"
    sender = f"probe-{uuid.uuid4().hex[:8]}"
    assert httpx.get(f"{url}/health", timeout=30).status_code == 200  # health checks stay open
    assert httpx.post(f"{url}/webhook", json=_action_call(sender), timeout=30).status_code == 401
    wrong = {"Authorization": "Bearer " + "0" * len(live_product.action_server_token)}
    assert (
        httpx.post(f"{url}/webhook", json=_action_call(sender), headers=wrong, timeout=30).status_code == 401
    )
    assert httpx.get(f"{url}/actions", timeout=30).status_code == 401
    right = {"Authorization": f"Bearer {live_product.action_server_token}"}
    answered = httpx.post(f"{url}/webhook", json=_action_call(sender), headers=right, timeout=60)
    assert answered.status_code == 200
    # Even with the token, a customer id the API did not sign is not believed.
    assert answered.json()["responses"][0]["response"] == "utter_assessment_login_required"
    # A failing action answers without echoing the conversation back to Rasa (and into its log).
    broken = {
        **_action_call(sender),
        "tracker": {"sender_id": sender, "latest_message": "我的电话13912345678"},
    }
    failed = httpx.post(f"{url}/webhook", json=broken, headers=right, timeout=60)
    assert failed.status_code == 500 and "13912345678" not in failed.text
    log = (live_product.var_dir / "log" / "actions.log").read_text(errors="replace")
    assert "refused an action call without the shared token" in log
    assert "action action_start_assessment failed with" in log and "13912345678" not in log


def test_a_customer_id_sent_straight_to_rasa_is_not_believed(live_product):
    sender = f"forged-{uuid.uuid4().hex[:8]}"
    replies = httpx.post(
        f"{live_product.rasa_url}/webhooks/rest/webhook",
        timeout=120,
        json={
            "sender": sender,
            "message": "我要做风险评估",
            "metadata": {"customer_id": "D1002", "channel": "app"},
        },
    ).json()
    said = "".join(reply.get("text") or "" for reply in replies)
    assert "请登录" in said and "第1/10题" not in said


def test_the_same_customer_through_the_api_is_believed(live_product):
    with httpx.Client(base_url=live_product.api_url, timeout=120) as api:
        token = api.post("/api/demo/identity", json={"customer_id": "D1002"}).json()["identity_token"]
        conversation_id, headers = _open(api, token)
        assert "第1/10题" in texts(say(api, conversation_id, headers, "我要做风险评估"))

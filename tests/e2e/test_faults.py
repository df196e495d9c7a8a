"""Fault injection on real processes (issue 16): the API, the action server and Rasa are each
killed (SIGKILL) or frozen (SIGSTOP) with a message in flight, in the middle of a questionnaire
and of a complaint; the client resends with the same client_message_id, following Retry-After,
until answered. Every acknowledged message must be applied by Rasa exactly once, with the next
step of the form, never answered 200 with nothing, and every refusal must say when to come back.

Runs its own product (benchmarks/faults.py starts it on free ports), since it kills processes."""

from __future__ import annotations

import pytest

from benchmarks.faults import (
    COMPLAINT,
    QUESTIONNAIRE,
    scenario_api_killed,
    scenario_process_fault,
    start_product,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def product(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    stack, product = start_product(tmp)
    product.database = tmp / "app.db"
    yield product
    stack.stop()


def assert_exactly_once(figures) -> None:
    assert figures.applied == {1: figures.sent}, figures
    assert figures.empty_200 == 0, figures
    assert figures.retry_after_missing == 0, figures
    assert figures.wrong_next_step == 0, figures


@pytest.mark.parametrize("dialogue", [QUESTIONNAIRE, COMPLAINT], ids=["questionnaire", "complaint"])
def test_the_api_killed_with_a_message_in_flight(product, dialogue):
    assert_exactly_once(scenario_api_killed(product, product.database, dialogue, rounds=1))


@pytest.mark.parametrize("fault", ["kill", "freeze"])
@pytest.mark.parametrize("name", ["actions", "rasa"])
@pytest.mark.parametrize("dialogue", [QUESTIONNAIRE, COMPLAINT], ids=["questionnaire", "complaint"])
def test_the_action_server_or_rasa_killed_or_frozen(product, name, fault, dialogue):
    figures = scenario_process_fault(product, name, fault, dialogue, rounds=1)
    assert_exactly_once(figures)
    if fault == "freeze":  # the first refusal comes within the budgets, not after 30 s
        assert max(figures.first_failure_seconds, default=0) < 20, figures

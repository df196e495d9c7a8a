"""Rasa sends the domain (~37 KB) only to the actions domain.yml marks `send_domain: true` and,
by its own rule, to `validate_*` (endpoints*.yml `enable_selective_domain`). An action that reads
the domain without it would get `{}`: a form's validation would know no required slots and ask
nothing, the session start would not carry slots over. Every action that reads it gets it."""

from __future__ import annotations

import inspect

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa_sdk import Action, FormValidationAction
from rasa_sdk.executor import ActionExecutor

from tests.conftest import ROOT


def _action_classes() -> list[type[Action]]:
    """Every action the action server serves, found as it finds them (`--actions actions`)."""
    executor = ActionExecutor()
    executor.register_package("actions")
    return [run.__self__.__class__ for run in executor.actions.values()]


def _reads_domain(cls: type[Action]) -> bool:
    if issubclass(cls, FormValidationAction):  # rasa_sdk reads the form's required slots from it
        return True
    source = inspect.getsource(cls)
    return any(use in source for use in ("domain.get(", "domain[", "domain_slots("))


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def test_every_action_that_reads_the_domain_gets_it(domain):
    classes = _action_classes()
    assert len(classes) >= 20, "the action classes were found"
    readers = {cls().name() for cls in classes if _reads_domain(cls)}
    assert {"validate_complaint_form", "action_session_start"} <= readers
    for name in readers:
        assert domain.does_custom_action_explicitly_need_domain(name), name


@pytest.mark.parametrize("name", ["endpoints.yml", "endpoints.production.yml"])
def test_the_domain_is_sent_selectively(name):
    config = yaml.safe_load((ROOT / name).read_text())
    assert config["action_endpoint"]["enable_selective_domain"] is True

"""Rasa's memoization and rule policies, reading a conversation's past states without replaying
it from its first event at every prediction.

Both policies turn the whole conversation into one state per action before each prediction
(`Domain.states_for_tracker_history`: replay every event, then build each state's slots, intent
and entities), several times a turn, so a turn cost grew with the conversation's length: 20 % of
our Rasa's time in 20-message conversations (py-spy, README "Turn cost"). The states of a prefix
of the conversation never change while later events are added, so they are kept per conversation
with the replay that produced them and only the new events are replayed and turned into states.
Whenever the events applied so far are not the same objects as the kept ones (another process's
turn read from the database, a rewound turn, a restarted session, a form's loop rewinding) the
states are built from the start, as Rasa builds them. Training trackers are left to Rasa.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer, TrackerFeaturizer
from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core import constants as core_constants
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted, Event
from rasa.shared.core.trackers import DialogueStateTracker

# As many conversations as the tracker store keeps (rasa_components/stores.py), as long.
CACHE_SIZE = 2000
CACHE_IDLE_SECONDS = 15 * 60


@dataclass
class _Walk:
    """What `Domain.states_for_tracker_history` has built after the applied events `events`."""

    domain: Domain
    rule_only_data: dict[str, Any] | None
    events: list[Event]
    tracker: DialogueStateTracker  # the replay, after `events`
    states: list[State] = field(default_factory=list)
    last_ml_action_sub_state: Any = None
    turn_was_hidden: bool = False
    used_at: float = field(default_factory=time.monotonic)

    def visit(
        self, tracker: DialogueStateTracker, hide_rule_turn: bool, ignore_rule_only_turns: bool
    ) -> None:
        """One turn of `Domain.states_for_tracker_history`, line for line."""
        domain = self.domain
        if ignore_rule_only_turns:
            if not self.turn_was_hidden:
                self.last_ml_action_sub_state = domain._get_prev_action_sub_state(tracker)
            if not tracker.followup_action and tracker.latest_action_name != tracker.active_loop_name:
                self.turn_was_hidden = hide_rule_turn
            if self.turn_was_hidden:
                return
        state = domain.get_active_state(tracker, omit_unset_slots=False)
        if ignore_rule_only_turns:
            domain._remove_rule_only_features(state, self.rule_only_data)
            if self.states:
                domain._substitute_rule_only_user_input(state, self.states[-1])
            if self.last_ml_action_sub_state:
                state[core_constants.PREVIOUS_ACTION] = self.last_ml_action_sub_state
        self.states.append(domain._clean_state(state))

    def advance(self, event: Event, ignore_rule_only_turns: bool) -> None:
        if isinstance(event, ActionExecuted):
            self.visit(self.tracker, event.hide_rule_turn, ignore_rule_only_turns)
        self.tracker.update(event)
        self.events.append(event)


class PastStates:
    """Past states per conversation and kind of policy (with or without rule-only turns)."""

    def __init__(self, size: int = CACHE_SIZE, idle_seconds: float = CACHE_IDLE_SECONDS) -> None:
        self._walks: OrderedDict[tuple[str, bool], _Walk] = OrderedDict()
        self._size = size
        self._idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self.reused = 0  # predictions that replayed only the new events (for tests and profiles)

    def of(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        *,
        ignore_rule_only_turns: bool,
        rule_only_data: dict[str, Any] | None,
    ) -> list[State]:
        """What `tracker.past_states(domain, False, ignore_rule_only_turns, rule_only_data)`
        returns, the states of earlier calls reused."""
        applied = tracker.applied_events()
        key = (tracker.sender_id, ignore_rule_only_turns)
        with self._lock:
            walk = self._walks.pop(key, None)
            self._forget_idle()
        if walk is not None and self._continues(walk, applied, domain, rule_only_data):
            self.reused += 1
        else:
            walk = _Walk(domain, rule_only_data, [], tracker.init_copy())
        for event in applied[len(walk.events) :]:
            walk.advance(event, ignore_rule_only_turns)
        walk.used_at = time.monotonic()
        with self._lock:
            self._walks[key] = walk
            while len(self._walks) > self._size:
                self._walks.popitem(last=False)
        return self._with_last_turn(walk, ignore_rule_only_turns)

    @staticmethod
    def _continues(
        walk: _Walk, applied: list[Event], domain: Domain, rule_only_data: dict[str, Any] | None
    ) -> bool:
        return (
            walk.domain is domain
            and walk.rule_only_data == rule_only_data
            and len(applied) >= len(walk.events)
            and all(new is old for new, old in zip(applied, walk.events))
        )

    @staticmethod
    def _with_last_turn(walk: _Walk, ignore_rule_only_turns: bool) -> list[State]:
        """The kept states plus the state of the conversation as it is now, built on a copy of the
        walk's position (the next call continues from the kept states, not from this one). The
        callers may change the last state in place (the text or intent of the latest message is
        dropped), so the last state returned is always a copy of its own."""
        now = replace(walk, states=list(walk.states))
        now.visit(walk.tracker, False, ignore_rule_only_turns)
        if now.states:
            now.states[-1] = {name: dict(sub_state) for name, sub_state in now.states[-1].items()}
        return now.states

    def _forget_idle(self) -> None:
        now = time.monotonic()
        while self._walks:
            oldest = next(iter(self._walks.values()))
            if now - oldest.used_at <= self._idle_seconds:
                break
            self._walks.popitem(last=False)


PAST_STATES = PastStates()


@TrackerFeaturizer.register("BankMaxHistoryTrackerFeaturizer")
class BankMaxHistoryTrackerFeaturizer(MaxHistoryTrackerFeaturizer):
    """Rasa's featurizer for these policies; a live conversation's states come from PAST_STATES."""

    def _create_states(  # type: ignore[override]
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: dict[str, Any] | None = None,
    ) -> list[State]:
        if type(tracker) is not DialogueStateTracker or omit_unset_slots:  # training: Rasa's own
            return super()._create_states(
                tracker,
                domain,
                omit_unset_slots=omit_unset_slots,
                ignore_rule_only_turns=ignore_rule_only_turns,
                rule_only_data=rule_only_data,
            )
        return PAST_STATES.of(
            tracker, domain, ignore_rule_only_turns=ignore_rule_only_turns, rule_only_data=rule_only_data
        )


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class BankMemoizationPolicy(MemoizationPolicy):
    """Rasa's MemoizationPolicy with the featurizer above."""

    def _standard_featurizer(self) -> MaxHistoryTrackerFeaturizer:
        return BankMaxHistoryTrackerFeaturizer(state_featurizer=None, max_history=self.config["max_history"])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class BankRulePolicy(RulePolicy):
    """Rasa's RulePolicy with the featurizer above."""

    def _standard_featurizer(self) -> MaxHistoryTrackerFeaturizer:
        return BankMaxHistoryTrackerFeaturizer(state_featurizer=None, max_history=self.config["max_history"])

"""What both machines share: states that say what they mean, pure guards, refusals in words.

A guard is a pure method of the facts that returns a `Verdict`: true when it allows the event,
false with the reason in plain words when it does not. The library's `cond` uses its truth; the
machine's `explain` collects the reasons. Nothing is recorded on the machine, so asking what is
allowed (for a dashboard or a preview) never changes anything.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from statemachine import State, StateMachine
from statemachine.exceptions import TransitionNotAllowed


def utc_text(instant: datetime) -> str:
    """An instant as guards quote it: '2024-01-31 08:00 UTC'."""
    return instant.strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class Verdict:
    """A guard's answer: true when allowed; false with the reason why not."""

    reason: str = ""

    def __bool__(self) -> bool:
        return not self.reason


ALLOWED = Verdict()


def refuse(reason: str) -> Verdict:
    """A guard's 'no', with the reason in a sentence."""
    return Verdict(reason)


class Stage(State):
    """A state that also names what it means for the rest of the service (its traits).

    e.g. `Stage("Accepted", traits={"holds_seat"})`; services ask `states_that("holds_seat")`.
    """

    def __init__(self, name: str = "", *, traits: frozenset[str] | set[str] = frozenset(),
                 **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.traits = frozenset(traits)


class Refused(TransitionNotAllowed):
    """An event that the machine does not allow now, with the reasons in plain words."""

    def __init__(self, event: str, state: str, reasons: list[str]) -> None:
        self.event_name = event
        self.state_name = state
        self.reasons = reasons
        # The attributes TransitionNotAllowed promises, for code that catches the base class.
        self.event = None
        self.configuration: set[Any] = set()
        Exception.__init__(self, " ".join(reasons))


@dataclass
class StateHolder:
    """The model a machine reads and writes its state on (a row's state is copied in and out)."""

    state: str


class LifecycleMachine(StateMachine):
    """A StateMachine whose guards explain themselves and whose states carry their meaning."""

    subject: ClassVar[str] = "item"
    # event id -> verb for messages ("pay" -> "record full payment for").
    event_verbs: ClassVar[dict[str, str]] = {}

    def __init__(self, state: str) -> None:
        self.holder = StateHolder(state)
        super().__init__(model=self.holder, start_value=state)

    @property
    def state(self) -> str:
        """The current state's id."""
        return self.holder.state

    # -- questions about the definition (no instance, no facts) -----------------------------------
    @classmethod
    def event_ids(cls) -> list[str]:
        """All events the machine defines."""
        return [e.id for e in cls.events]  # type: ignore[attr-defined]

    @classmethod
    def state_ids(cls) -> list[str]:
        """All states the machine defines, in definition order."""
        return [s.id for s in cls.states]  # type: ignore[attr-defined]

    @classmethod
    def labels(cls) -> dict[str, str]:
        """Each state's id -> the name people read ('invoiced' -> 'Invoice sent')."""
        return {s.id: s.name for s in cls.states}  # type: ignore[attr-defined]

    @classmethod
    def event_labels(cls) -> dict[str, str]:
        """Each event's id -> its name as a button reads ('accept' -> 'Accept')."""
        return {e.id: e.name for e in cls.events}  # type: ignore[attr-defined]

    @classmethod
    def traits(cls) -> set[str]:
        """Every trait some state of the machine has."""
        return {t for s in cls.states for t in getattr(s, "traits", ())}  # type: ignore[attr-defined]

    @classmethod
    @functools.cache  # a machine's states never change: asked once per process
    def states_that(cls, trait: str) -> tuple[str, ...]:
        """The states with `trait` (e.g. 'holds_seat'), in definition order."""
        if trait not in cls.traits():
            raise KeyError(f"{cls.__name__} has no state trait {trait!r}")
        return tuple(s.id for s in cls.states  # type: ignore[attr-defined]
                     if trait in getattr(s, "traits", ()))

    @classmethod
    @functools.cache  # a machine's states never change: asked once per process
    def final_state_ids(cls) -> tuple[str, ...]:
        """The states nothing leaves."""
        return tuple(s.id for s in cls.final_states)  # type: ignore[attr-defined]

    @classmethod
    @functools.cache  # a machine's states never change: asked once per process
    def sources(cls, event: str) -> tuple[str, ...]:
        """The states `event` has a transition from (guards apart), in definition order."""
        return tuple(s.id for s in cls.states  # type: ignore[attr-defined]
                     if any(t.match(event) for t in s.transitions))

    @classmethod
    @functools.cache  # a machine's states never change: asked once per process
    def target(cls, event: str) -> str:
        """The one state `event` leads to (e.g. 'lapse' -> 'lapsed')."""
        targets = {t.target.id for s in cls.states  # type: ignore[attr-defined]
                   for t in s.transitions if t.match(event)}
        if len(targets) != 1:
            raise KeyError(f"{cls.__name__}.{event} leads to {sorted(targets)}, not one state")
        return targets.pop()

    @classmethod
    def events_from(cls, state: str) -> list[str]:
        """The events with a transition from `state` (guards apart), in definition order."""
        return [e for e in cls.event_ids() if state in cls.sources(e)]

    # -- questions about this machine now, given the facts -------------------------------------
    def possible_events(self) -> list[str]:
        """Events that have a transition from the current state (guards not considered)."""
        return self.events_from(self.state)

    def explain(self, event: str, facts: Any) -> list[str]:
        """Why `event` is refused now, in sentences; empty when it is allowed. Changes nothing."""
        if event not in self.event_ids():
            return [f"There is no such action as “{event}”."]
        current = next(s for s in type(self).states if s.id == self.state)  # type: ignore[attr-defined]
        transitions = [t for t in current.transitions if t.match(event)]
        if not transitions:
            verb = self.event_verbs.get(event, event)
            return [f"You cannot {verb} {self.subject_phrase()} that is {self.state}."]
        reasons: list[str] = []
        for transition in transitions:
            verdicts = [getattr(self, str(spec.func))(facts) for spec in transition.cond]
            failing = [v.reason for v in verdicts if not v]
            if not failing:
                return []
            reasons += [r for r in failing if r not in reasons]
        return reasons

    def enabled(self, facts: Any) -> list[str]:
        """Events allowed now: a transition exists and every guard accepts the facts."""
        return [e.id for e in self.enabled_events(facts=facts)]

    def fire(self, event: str, facts: Any) -> str:
        """Apply `event` given `facts`; return the new state, or raise `Refused` unchanged."""
        reasons = self.explain(event, facts)
        if reasons:
            raise Refused(event, self.state, reasons)
        self.send(event, facts=facts)
        return self.state

    def subject_phrase(self) -> str:
        """'an application' / 'a cohort' for messages."""
        article = "an" if self.subject[:1] in "aeiou" else "a"
        return f"{article} {self.subject}"

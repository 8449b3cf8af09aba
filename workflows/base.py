"""What both machines share: firing an event and explaining a refusal in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from statemachine import StateMachine
from statemachine.exceptions import TransitionNotAllowed


def utc_text(instant: datetime) -> str:
    """An instant as guards quote it: '2024-01-31 08:00 UTC'."""
    return instant.strftime("%Y-%m-%d %H:%M UTC")


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
    """A StateMachine whose guards record why they said no, and whose events carry facts."""

    # event id -> verb for messages ("accept" -> "accept"); subclasses may add nicer words.
    subject: ClassVar[str] = "item"
    event_verbs: ClassVar[dict[str, str]] = {}

    def __init__(self, state: str) -> None:
        self.refusals: list[str] = []
        self.holder = StateHolder(state)
        super().__init__(model=self.holder, start_value=state)

    @property
    def state(self) -> str:
        """The current state's id."""
        return self.holder.state

    def refuse(self, reason: str) -> bool:
        """Record why a guard said no, and say no."""
        self.refusals.append(reason)
        return False

    @classmethod
    def event_ids(cls) -> list[str]:
        """All events the machine defines."""
        return [e.id for e in cls.events]  # type: ignore[attr-defined]

    @classmethod
    def state_ids(cls) -> list[str]:
        """All states the machine defines."""
        return [s.id for s in cls.states]  # type: ignore[attr-defined]

    def possible_events(self) -> list[str]:
        """Events that have a transition from the current state (guards not considered)."""
        return [e.id for e in self.allowed_events]

    def enabled(self, facts: Any) -> list[str]:
        """Events allowed now: a transition exists and every guard accepts the facts."""
        saved = list(self.refusals)
        try:
            return [e.id for e in self.enabled_events(facts=facts)]
        finally:
            self.refusals = saved

    def fire(self, event: str, facts: Any) -> str:
        """Apply `event` given `facts`; return the new state, or raise `Refused` unchanged."""
        before = self.state
        if event not in self.event_ids():
            raise Refused(event, before, [f"There is no such action as “{event}”."])
        if event not in self.possible_events():
            verb = self.event_verbs.get(event, event)
            raise Refused(
                event, before, [f"You cannot {verb} {self.subject_phrase()} that is {before}."]
            )
        self.refusals = []
        try:
            self.send(event, facts=facts)
        except TransitionNotAllowed:
            self.holder.state = before
            reasons = self.refusals or [f"{event} is not allowed now."]
            raise Refused(event, before, reasons) from None
        return self.state

    def subject_phrase(self) -> str:
        """'an enrollment' / 'a cohort' for messages."""
        article = "an" if self.subject[:1] in "aeiou" else "a"
        return f"{article} {self.subject}"

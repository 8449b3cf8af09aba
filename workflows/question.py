"""A question sent in advance for a Q&A session: waiting, answered, or hidden by facilitators."""

from __future__ import annotations

from typing import ClassVar

from workflows.base import LifecycleMachine, Stage

# What a question's state means elsewhere: facilitators see it in the session's list; it still
# waits for the session.
SHOWN = "shown_to_facilitators"
WAITING = "awaits_answer"


class QuestionMachine(LifecycleMachine):
    """waiting → answered; either can be hidden, and a hidden question shown again."""

    subject = "question"
    event_verbs: ClassVar[dict[str, str]] = {"answer": "mark as answered", "hide": "hide",
                                             "show": "show again"}

    waiting = Stage("Waiting for the session", initial=True, traits={SHOWN, WAITING})
    answered = Stage("Answered", traits={SHOWN})
    hidden = Stage("Hidden by the facilitators")

    answer = waiting.to(answered)
    hide = waiting.to(hidden) | answered.to(hidden)
    show = hidden.to(waiting)

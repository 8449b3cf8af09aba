"""Checking a refusal the same way for both state machines."""

from __future__ import annotations

from typing import Any

import pytest
from statemachine.exceptions import TransitionNotAllowed

from workflows import Refused
from workflows.base import LifecycleMachine


def check_refusal(machine_class: type[LifecycleMachine], state: str, event: str,
                  given: Any) -> Refused:
    """Fire and check the refusal: right type, state unchanged, reasons in sentences."""
    machine = machine_class(state)
    with pytest.raises(Refused) as excinfo:
        machine.fire(event, given)
    refusal = excinfo.value
    assert isinstance(refusal, TransitionNotAllowed)
    assert machine.state == state
    assert (refusal.event_name, refusal.state_name) == (event, state)
    assert isinstance(refusal.reasons, list)
    assert refusal.reasons
    for reason in refusal.reasons:
        assert isinstance(reason, str)
        assert reason[0].isupper()
        assert reason.endswith(".")
    assert str(refusal) == " ".join(refusal.reasons)
    return refusal

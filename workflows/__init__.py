"""The lifecycle state machines. Pure Python: no Flask, no SQLAlchemy."""

from workflows.base import Refused, StateHolder
from workflows.cohort import CohortFacts, CohortMachine
from workflows.enrollment import SEAT_HOLDING_STATES, EnrollmentFacts, EnrollmentMachine

__all__ = [
    "SEAT_HOLDING_STATES",
    "CohortFacts",
    "CohortMachine",
    "EnrollmentFacts",
    "EnrollmentMachine",
    "Refused",
    "StateHolder",
]

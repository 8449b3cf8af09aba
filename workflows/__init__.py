"""The lifecycle state machines. Pure Python: no Flask, no SQLAlchemy."""

from workflows.base import Refused, StateHolder
from workflows.cohort import CohortFacts, CohortMachine
from workflows.enrollment import EnrollmentFacts, EnrollmentMachine

__all__ = [
    "CohortFacts",
    "CohortMachine",
    "EnrollmentFacts",
    "EnrollmentMachine",
    "Refused",
    "StateHolder",
]

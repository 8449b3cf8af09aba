"""The lifecycle state machines. Pure Python: no Flask, no SQLAlchemy."""

from workflows.base import Refused, StateHolder
from workflows.cohort import CohortFacts, CohortMachine
from workflows.enrollment import EnrollmentFacts, EnrollmentMachine
from workflows.membership import MembershipFacts, MembershipMachine
from workflows.question import QuestionMachine

__all__ = [
    "CohortFacts",
    "CohortMachine",
    "EnrollmentFacts",
    "EnrollmentMachine",
    "MembershipFacts",
    "MembershipMachine",
    "QuestionMachine",
    "Refused",
    "StateHolder",
]

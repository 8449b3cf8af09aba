"""A cohort's terms as plain values: the settings an admin may change, the refund rules a
cancellation policy names (with the words staff and participants read).

Forms build these values and services apply them; both import them from here, so neither
imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cohort.schedule import Region

# A cancellation policy tier refunds one of these: the label staff choose from, and the words
# a participant reads ("the policy refunds everything you have paid").
REFUND_RULES = {
    "everything": "Everything paid",
    "all_but_deposit": "Everything but the deposit",
    "nothing": "Nothing",
}
REFUND_RULE_WORDS = {
    "everything": "everything you have paid",
    "all_but_deposit": "everything you have paid except the deposit",
    "nothing": "nothing",
}


@dataclass(frozen=True)
class CohortSettings:
    """Everything an admin may change on a cohort (instants are aware UTC)."""

    title: str
    capacity: int
    minimum_participants: int
    price_cents: int
    deposit_cents: int
    applications_close_at: datetime
    cancellation_deadline_at: datetime
    registration_deadline_at: datetime
    meeting_starts: tuple[datetime, ...]
    meeting_minutes: int
    policy_text: str
    refund_before_deadline: str
    refund_before_start: str
    refund_after_start: str
    rebate_countries: tuple[str, ...]
    rebate_basis_points: int
    regions: tuple[Region, ...]

"""What a billing account is for: an enrollment in a cohort, or memberships of a community.

The finance desk, the CSV, the PDFs and the account pages all name an account's owner and date
its documents through `account_owner`, so they say the same thing about the same row.
"""

from __future__ import annotations

from dataclasses import dataclass

from cohort.models import BillingAccount, Community, Enrollment, Person
from cohort.schedule import zone_label


@dataclass(frozen=True)
class AccountOwner:
    """Who an account bills and for what, with the time zone its documents are dated in."""

    kind: str  # "enrollment" or "membership"
    person: Person
    name: str  # "Program — 2024 cohort", or the community's name
    slug: str  # the cohort's or the community's address
    time_zone: str
    zone_label: str  # e.g. "USA Pacific Time"
    enrollment: Enrollment | None = None
    community: Community | None = None

    @property
    def label(self) -> str:
        """e.g. "Ada Lovelace — CoP — 2024 cohort" (person, then what they are billed for)."""
        return f"{self.person.name} — {self.name}"


def account_owner(account: BillingAccount) -> AccountOwner:
    """The owner of `account`: its enrollment (person + cohort) or its person + community."""
    enrollment = account.enrollment
    if enrollment is not None:
        cohort = enrollment.cohort
        return AccountOwner(kind="enrollment", person=account.person,
                            name=cohort.name, slug=cohort.slug,
                            time_zone=cohort.time_zone, zone_label=cohort.zone_label,
                            enrollment=enrollment)
    community = account.community
    if community is None:
        raise ValueError(f"billing account {account.id} has neither an enrollment nor a "
                         f"community")
    return AccountOwner(kind="membership", person=account.person, name=community.name,
                        slug=community.slug, time_zone=community.time_zone,
                        zone_label=zone_label(community.time_zone), community=community)

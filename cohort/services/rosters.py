"""A group's roster at any instant: member, plan, since, until, terms agreed; and as CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cohort.clock import ClockError, parse_instant
from cohort.models import Community, Group, Membership, TermsAgreement, TermsVersion
from cohort.services.access import group_members
from cohort.services.memberships import current_terms
from cohort.spreadsheet import safe_cell
from workflows import MembershipMachine

COLUMNS = ["member", "e-mail", "plan", "interval", "state", "since (UTC)", "until (UTC)",
           "until means", "terms version agreed", "must agree to current terms"]


class InstantNotUnderstood(ValueError):
    """An `at` that is neither an ISO instant with an offset nor a date."""


@dataclass(frozen=True)
class RosterRow:
    """One member of a group at the instant asked about."""

    membership: Membership
    since: datetime
    until: datetime | None
    until_means: str  # "ended", "ends", "paid through" or "" (free, open-ended)
    terms_version: int | None  # the newest version agreed by then
    must_agree: bool  # has not agreed to the version current at that instant


def roster_instant(text: str | None, zone: str, now: datetime) -> datetime:
    """`?at=`: an ISO instant with an offset, or a date (its end in the community's zone)."""
    text = (text or "").strip()
    if not text:
        return now
    if len(text) > 40:
        raise InstantNotUnderstood("That is not a date or an instant.")
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is not None:  # the roster as the day ends there: who was in that day, last
        return datetime.combine(day, time(23, 59, 59), ZoneInfo(zone)).astimezone(UTC)
    try:
        return parse_instant(text)
    except (ClockError, ValueError, OverflowError):
        raise InstantNotUnderstood(
            "Please give a date (2026-03-01) or an instant with its offset "
            "(2026-03-01T12:00:00Z).") from None


def _until(membership: Membership, at: datetime) -> tuple[datetime | None, str]:
    if membership.ended_at is not None:
        return membership.ended_at, "ended"
    if membership.paid_through is None:
        return None, ""
    if membership.state in MembershipMachine.states_that("owes_money"):
        return membership.grace_until or membership.paid_through, "grace until"
    if membership.cancel_requested_at is not None and membership.cancel_requested_at <= at:
        return membership.paid_through, "ends"
    return membership.paid_through, "paid through"


def group_roster(session: Session, group: Group, at: datetime) -> list[RosterRow]:
    """Who the group was open to at `at`, oldest first, with the terms each had agreed by then."""
    members = group_members(session, group.id, at)
    people = {m.person_id for m in members}
    agreed: dict[int, int] = {}
    if people:
        agreed = {person_id: version for person_id, version in session.execute(
            select(TermsAgreement.person_id, func.max(TermsVersion.version))
            .join(TermsVersion, TermsVersion.id == TermsAgreement.terms_version_id)
            .where(TermsVersion.community_id == group.community_id,
                   TermsAgreement.person_id.in_(people), TermsAgreement.agreed_at <= at)
            .group_by(TermsAgreement.person_id))}
    current = session.scalar(
        select(func.max(TermsVersion.version)).where(
            TermsVersion.community_id == group.community_id, TermsVersion.published_at <= at))
    rows = []
    for membership in members:
        until, means = _until(membership, at)
        version = agreed.get(membership.person_id)
        rows.append(RosterRow(
            membership=membership, since=membership.started_at or at, until=until,
            until_means=means, terms_version=version,
            must_agree=current is not None and (version or 0) < current))
    return rows


def _utc_text(instant: datetime | None) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if instant else ""


def roster_csv(rows: list[RosterRow]) -> str:
    """The roster as CSV for syncing the community platform (formulas never run)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        m = row.membership
        writer.writerow([safe_cell(v) for v in (
            m.person.name, m.person.email, m.plan.name, m.interval or "", m.state,
            _utc_text(row.since), _utc_text(row.until), row.until_means,
            row.terms_version or "", "yes" if row.must_agree else "no")])
    return out.getvalue()


@dataclass(frozen=True)
class TermsSummary:
    """The community's current terms and how many people agreed to that version."""

    terms: TermsVersion | None
    agreed: int


def community_terms_summary(session: Session, community: Community) -> TermsSummary:
    """The current terms and how many people agreed to them (for the overview)."""
    terms = current_terms(session, community)
    agreed = 0
    if terms is not None:
        agreed = session.scalar(select(func.count(TermsAgreement.id)).where(
            TermsAgreement.terms_version_id == terms.id)) or 0
    return TermsSummary(terms, agreed)

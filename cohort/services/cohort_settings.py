"""Admins edit a cohort's settings and create the next cohort by copying one."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort.cohort_terms import REFUND_RULES, CohortSettings
from cohort.models import Cohort, GroupSession
from cohort.schedule import regions_from_data, regions_to_data
from cohort.services import ServiceError
from cohort.services.facts import count_that, seats_held
from cohort.services.state_counts import count_by_state


class SettingsRefused(ServiceError):
    """The new settings contradict each other or what has already happened."""

    status_code = 422


class AddressTaken(SettingsRefused):
    """Another cohort already has this address."""

    status_code = 409


def current_settings(cohort: Cohort) -> CohortSettings:
    """The cohort's settings as they are."""
    tiers = {t["until"]: t["refund"] for t in cohort.cancellation_policy.get("tiers", [])}
    rule = cohort.rebate_rule or {}
    return CohortSettings(
        title=cohort.title, capacity=cohort.capacity,
        minimum_participants=cohort.minimum_participants, price_cents=cohort.price_cents,
        deposit_cents=cohort.deposit_cents, applications_close_at=cohort.applications_close_at,
        cancellation_deadline_at=cohort.cancellation_deadline_at,
        registration_deadline_at=cohort.registration_deadline_at,
        meeting_starts=tuple(m.starts_at for m in cohort.meetings),
        meeting_minutes=cohort.meetings[0].duration_minutes if cohort.meetings else 180,
        policy_text=cohort.cancellation_policy.get("text", ""),
        refund_before_deadline=tiers.get("cancellation_deadline", "everything"),
        refund_before_start=tiers.get("first_meeting", "all_but_deposit"),
        refund_after_start=tiers.get(None, "nothing"),
        rebate_countries=tuple(rule.get("countries", ())),
        rebate_basis_points=int(rule.get("basis_points", 0)),
        regions=regions_from_data(cohort.display_regions),
    )


def _check(cohort: Cohort, new: CohortSettings, counts: dict[str, int]) -> list[str]:
    problems = []
    held = seats_held(counts)
    if new.capacity < held:
        problems.append(f"Capacity cannot go below the {held} seats already held.")
    if not 1 <= new.minimum_participants <= new.capacity:
        problems.append("The minimum must be between 1 and the capacity.")
    if not 0 <= new.deposit_cents <= new.price_cents:
        problems.append("The deposit must be between zero and the price.")
    paid = count_that(counts, "deposit_paid")
    if paid and (new.price_cents, new.deposit_cents) != (cohort.price_cents, cohort.deposit_cents):
        problems.append(f"{paid} people have already paid at the current price and deposit; "
                        "they cannot change now.")
    if not new.meeting_starts:
        problems.append("A cohort needs at least one meeting.")
    elif new.registration_deadline_at > new.meeting_starts[0]:
        problems.append("The registration deadline must come before the first meeting.")
    if new.applications_close_at > new.registration_deadline_at:
        problems.append("Applications must close before the registration deadline.")
    if len(set(new.meeting_starts)) != len(new.meeting_starts):
        problems.append("Two meetings start at the same time.")
    if not 0 <= new.rebate_basis_points <= 10_000:
        problems.append("The rebate must be between 0 % and 100 %.")
    for rule in (new.refund_before_deadline, new.refund_before_start, new.refund_after_start):
        if rule not in REFUND_RULES:
            problems.append(f"Unknown refund rule “{rule}”.")
    return problems


def _policy(cohort: Cohort, new: CohortSettings) -> dict[str, Any]:
    tiers = [
        {"until": "cancellation_deadline", "refund": new.refund_before_deadline},
        {"until": "first_meeting", "refund": new.refund_before_start},
        {"until": None, "refund": new.refund_after_start},
    ]
    old = cohort.cancellation_policy
    unchanged = old.get("text") == new.policy_text and old.get("tiers") == tiers
    return {"version": old.get("version", 0) + (0 if unchanged else 1),
            "text": new.policy_text, "tiers": tiers}


def update_settings(session: Session, cohort: Cohort, new: CohortSettings) -> Cohort:
    """Apply new settings, or refuse with every problem listed; a changed policy gets a version."""
    problems = _check(cohort, new, count_by_state(session, cohort.id))
    if problems:
        raise SettingsRefused(" ".join(problems))
    cohort.title = new.title
    cohort.capacity = new.capacity
    cohort.minimum_participants = new.minimum_participants
    cohort.price_cents = new.price_cents
    cohort.deposit_cents = new.deposit_cents
    cohort.applications_close_at = new.applications_close_at
    cohort.cancellation_deadline_at = new.cancellation_deadline_at
    cohort.registration_deadline_at = new.registration_deadline_at
    cohort.cancellation_policy = _policy(cohort, new)
    cohort.display_regions = regions_to_data(new.regions)
    rule = dict(cohort.rebate_rule or {})
    if new.rebate_countries and new.rebate_basis_points:
        rule.update(countries=list(new.rebate_countries), basis_points=new.rebate_basis_points)
        rule.setdefault("applies_to", "price")
        rule.setdefault("paid_after", "first_meeting_start")
        cohort.rebate_rule = rule
    else:
        cohort.rebate_rule = None
    existing = {m.starts_at: m for m in cohort.meetings}
    cohort.meetings = [existing.get(start) or GroupSession(starts_at=start)
                       for start in sorted(new.meeting_starts)]
    for meeting in cohort.meetings:
        meeting.duration_minutes = new.meeting_minutes
    session.flush()
    return cohort


def shift_wall_time(instant: datetime, weeks: int, zone: str) -> datetime:
    """The same wall-clock time `weeks` later in `zone` (16:00 stays 16:00 across DST)."""
    wall = instant.astimezone(ZoneInfo(zone)).replace(tzinfo=None) + timedelta(weeks=weeks)
    return wall.replace(tzinfo=ZoneInfo(zone))


def copy_cohort(session: Session, source: Cohort, *, slug: str, weeks: int,
                now: datetime) -> Cohort:
    """A new draft cohort like `source`, every date moved by whole weeks in its own zone."""
    if session.scalars(select(Cohort.id).where(Cohort.slug == slug)).first() is not None:
        raise AddressTaken(f"The address “{slug}” is already used by another cohort.")
    if weeks < 1:
        raise SettingsRefused("Shift the dates by at least one week.")
    zone = source.time_zone

    def move(instant: datetime) -> datetime:
        return shift_wall_time(instant, weeks, zone)

    meetings = [GroupSession(starts_at=move(m.starts_at), duration_minutes=m.duration_minutes)
                for m in source.meetings]
    first, last = meetings[0].starts_at, meetings[-1].starts_at
    local_first, local_last = first.astimezone(ZoneInfo(zone)), last.astimezone(ZoneInfo(zone))
    copy = Cohort(
        program_id=source.program_id, slug=slug, state="draft", time_zone=zone,
        title=(f"{local_first:%B} {local_first.day}, {local_first.year} to "
               f"{local_last:%B} {local_last.day}, {local_last.year}"),
        capacity=source.capacity, minimum_participants=source.minimum_participants,
        currency=source.currency, price_cents=source.price_cents,
        deposit_cents=source.deposit_cents,
        applications_close_at=move(source.applications_close_at),
        cancellation_deadline_at=move(source.cancellation_deadline_at),
        registration_deadline_at=move(source.registration_deadline_at),
        cancellation_policy=dict(source.cancellation_policy),
        rebate_rule=dict(source.rebate_rule) if source.rebate_rule else None,
        display_regions=[dict(region) for region in source.display_regions],
        sessions_recorded=source.sessions_recorded, created_at=now, meetings=meetings,
    )
    session.add(copy)
    session.flush()
    return copy

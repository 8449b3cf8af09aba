"""E-mail about sessions: the day-before reminder (once per person, whatever the number of
ticks), "recording available", and the per-person switch to turn reminders off."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cohort.mail.outbox import queue_mail
from cohort.models import GroupSession, ReminderOptOut, SessionReminder
from cohort.schedule import format_instant
from cohort.services.group_sessions import session_by_id
from cohort.services.session_access import attendees

REMINDER_LEAD = timedelta(hours=24)


def reminders_on(session: Session, person_id: int) -> bool:
    """True unless the person turned session reminders off."""
    return session.get(ReminderOptOut, person_id) is None


def set_reminders(session: Session, person_id: int, *, on: bool, now: datetime) -> None:
    """Turn the person's session reminders on or off."""
    kept = session.get(ReminderOptOut, person_id)
    if on and kept is not None:
        session.delete(kept)
    elif not on and kept is None:
        session.add(ReminderOptOut(person_id=person_id, since=now))
    session.flush()


def _page_url() -> str:
    return f"{current_app.config['BASE_URL']}/members"


def remind_session(session: Session, row: GroupSession, now: datetime) -> int:
    """Queue the reminder for everyone who may enter the session and has not had it; the
    reminders are recorded in the same transaction, so a second run sends nothing."""
    reminded = set(session.scalars(select(SessionReminder.person_id)
                                   .where(SessionReminder.session_id == row.id)))
    off = set(session.scalars(select(ReminderOptOut.person_id)))
    queued = 0
    for attendee in attendees(session, row, now):
        person = attendee.person
        if person.id in reminded or person.id in off:
            continue
        session.add(SessionReminder(session_id=row.id, person_id=person.id, sent_at=now))
        queue_mail(session, kind="session_reminder", to=person.email, now=now, person=person,
                   row=row, when=format_instant(row.starts_at, attendee.zone),
                   own_when=format_instant(row.starts_at, row.zone), page_url=_page_url())
        queued += 1
    session.flush()
    return queued


def send_session_reminders(session: Session, now: datetime) -> int:
    """For each session starting within a day, its reminders, one session per commit."""
    due = session.scalars(select(GroupSession.id).where(
        GroupSession.starts_at > now, GroupSession.starts_at <= now + REMINDER_LEAD)
        .order_by(GroupSession.starts_at)).all()
    session.rollback()
    total = 0
    for session_id in due:
        row = session_by_id(session, session_id)
        if row is None:
            continue
        try:
            queued = remind_session(session, row, now)
            session.commit()
        except IntegrityError:  # another tick recorded the same reminders first
            session.rollback()
            continue
        total += queued
    return total


def announce_recording(session: Session, row: GroupSession, now: datetime) -> int:
    """Tell everyone who may watch a newly attached recording that it is there."""
    count = 0
    for attendee in attendees(session, row, now):
        queue_mail(session, kind="recording_available", to=attendee.person.email, now=now,
                   person=attendee.person, row=row,
                   when=format_instant(row.starts_at, attendee.zone), page_url=_page_url())
        count += 1
    session.flush()
    return count

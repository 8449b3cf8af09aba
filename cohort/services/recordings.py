"""Recordings of past sessions: attach a link (no video is stored), who may watch, who opened.

A member may watch a group's recording while the group is open to them (`has_access_at` now);
a cohort's participant while their enrollment takes part in sessions and the cohort's
`recordings_until` (set by staff) has not passed. Opening goes through the service, which checks
this and counts the open, so the video's address never appears on a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from cohort.models import Cohort, Group, GroupSession, RecordingOpen, SessionRecording
from cohort.services.access import entered_groups
from cohort.services.reminders import announce_recording
from cohort.services.session_access import attended_cohorts


class RecordingProblem(ValueError):
    """A recording that cannot be attached; the message says why."""


@dataclass(frozen=True)
class RecordingLink:
    """What staff give for a recording: where the video lives, its passcode, a note."""

    url: str
    passcode: str = ""
    notes: str = ""


def attach_recording(session: Session, row: GroupSession, link: RecordingLink, *, actor: str,
                     now: datetime) -> SessionRecording:
    """Attach (or replace) the recording of a session that has started; the first time, tell
    everyone who may watch it."""
    if now < row.starts_at:
        raise RecordingProblem("A recording can be attached once the session has taken place.")
    recording = row.recording
    first = recording is None
    if recording is None:
        recording = SessionRecording(session_id=row.id)
        row.recording = recording
    recording.url, recording.passcode, recording.notes = link.url, link.passcode, link.notes
    recording.attached_at, recording.attached_by = now, actor
    session.flush()
    if first:
        announce_recording(session, row, now)
    return recording


def set_recordings_until(session: Session, cohort: Cohort, until: datetime | None) -> None:
    """The last moment the cohort's participants see its recordings (None: no end)."""
    cohort.recordings_until = until
    session.flush()


def _cohort_recordings_open(cohort: Cohort, now: datetime) -> bool:
    return cohort.recordings_until is None or now < cohort.recordings_until


def watchable(session: Session, person_id: int, now: datetime) -> list[GroupSession]:
    """The sessions with a recording this person may watch at `now`, newest first."""
    group_ids = [g.id for g in entered_groups(session, person_id, now)]
    cohort_ids = list(session.scalars(attended_cohorts(person_id)))
    stmt = (
        select(GroupSession).join(SessionRecording)
        .where(GroupSession.group_id.in_(group_ids) | GroupSession.cohort_id.in_(cohort_ids))
        .options(joinedload(GroupSession.recording),
                 joinedload(GroupSession.cohort).joinedload(Cohort.program),
                 joinedload(GroupSession.group).joinedload(Group.community))
        .order_by(GroupSession.starts_at.desc(), GroupSession.id.desc())
    )
    rows = session.scalars(stmt).unique()
    return [r for r in rows if r.cohort is None or _cohort_recordings_open(r.cohort, now)]


def open_recording(session: Session, recording_id: int, person_id: int,
                   now: datetime) -> str | None:
    """The video's address if this person may watch it now (the open is counted), else None."""
    allowed = {r.recording.id: r.recording for r in watchable(session, person_id, now)
               if r.recording is not None}
    recording = allowed.get(recording_id)
    if recording is None:
        return None
    session.add(RecordingOpen(session_id=recording.session_id, person_id=person_id,
                              opened_at=now))
    session.flush()
    return recording.url


def open_counts(session: Session, session_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per session: (times its recording was opened, people who opened it)."""
    stmt = (select(RecordingOpen.session_id, func.count(),
                   func.count(RecordingOpen.person_id.distinct()))
            .where(RecordingOpen.session_id.in_(session_ids))
            .group_by(RecordingOpen.session_id))
    return {sid: (opens, people) for sid, opens, people in session.execute(stmt)}

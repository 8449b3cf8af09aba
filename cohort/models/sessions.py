"""Sessions of a cohort or of a community group (meetings, learning sessions, Q&A, meet-ups).

One table for both: a cohort's meetings are its sessions of kind "meeting"; there is no second
list of meetings.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cohort.models.base import Base, UTCInstant, one_of
from workflows import QuestionMachine

if TYPE_CHECKING:
    from cohort.models.community import Group
    from cohort.models.enrollment import Person
    from cohort.models.program import Cohort

MAX_QUESTION = 1000  # characters of a question sent in advance
SESSION_KINDS = {"meeting": "Meeting", "learning": "Learning session", "qa": "Q&A",
                 "meetup": "Meet-up"}


class GroupSession(Base):
    """One live session of exactly one cohort or one group: a UTC instant plus a duration."""

    __tablename__ = "program_sessions"
    __table_args__ = (
        UniqueConstraint("cohort_id", "starts_at"),
        UniqueConstraint("group_id", "starts_at"),
        CheckConstraint("duration_minutes > 0 AND duration_minutes <= 1440", name="duration_sane"),
        CheckConstraint("(cohort_id IS NULL) <> (group_id IS NULL)", name="one_owner"),
        one_of("kind", tuple(SESSION_KINDS), name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohorts.id", ondelete="CASCADE"), nullable=True, index=True)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_groups.id", ondelete="CASCADE"), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(10), default="meeting")
    title: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCInstant())
    duration_minutes: Mapped[int] = mapped_column(Integer)
    join_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # Q&A: questions in advance are taken until this instant.
    questions_close_at: Mapped[datetime | None] = mapped_column(UTCInstant(), nullable=True)

    cohort: Mapped[Cohort | None] = relationship(viewonly=True)
    group: Mapped[Group | None] = relationship(viewonly=True)
    recording: Mapped[SessionRecording | None] = relationship(
        back_populates="session", cascade="all, delete-orphan")

    @property
    def ends_at(self) -> datetime:
        """The instant the session ends."""
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def kind_label(self) -> str:
        """The kind as people read it (Q&A, Meet-up…)."""
        return SESSION_KINDS[self.kind]

    @property
    def zone(self) -> str:
        """The zone of the session's cohort or group's community."""
        if self.cohort is not None:
            return self.cohort.time_zone
        assert self.group is not None
        return self.group.community.time_zone

    @property
    def owner_name(self) -> str:
        """The cohort's or group's name."""
        if self.cohort is not None:
            return self.cohort.name
        assert self.group is not None
        return f"{self.group.community.name} — {self.group.name}"

    @property
    def display_title(self) -> str:
        """The title, or the kind when none was given."""
        return self.title or self.kind_label


class SessionRecording(Base):
    """Where the video of a past session lives (the service stores no video)."""

    __tablename__ = "session_recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("program_sessions.id", ondelete="CASCADE"), unique=True)
    url: Mapped[str] = mapped_column(String(500))
    passcode: Mapped[str] = mapped_column(String(100), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    attached_at: Mapped[datetime] = mapped_column(UTCInstant())
    attached_by: Mapped[str] = mapped_column(String(300), default="")

    session: Mapped[GroupSession] = relationship(back_populates="recording")


class CalendarFeed(Base):
    """A person's private calendar feed: its link is derived from a salt; only a hash is stored."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), unique=True)
    salt: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCInstant())
    rotated_at: Mapped[datetime] = mapped_column(UTCInstant())


class RecordingOpen(Base):
    """Someone opened a session's recording through the service (counted for staff)."""

    __tablename__ = "recording_opens"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("program_sessions.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCInstant())


class SessionQuestion(Base):
    """A question a member sent in advance for a Q&A session; its state runs on QuestionMachine."""

    __tablename__ = "session_questions"
    __table_args__ = (
        one_of("state", QuestionMachine.state_ids(), name="state_known"),
        Index("ix_session_questions_session_id_submitted_at", "session_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("program_sessions.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="waiting")
    submitted_at: Mapped[datetime] = mapped_column(UTCInstant())
    state_changed_at: Mapped[datetime] = mapped_column(UTCInstant())

    session: Mapped[GroupSession] = relationship()
    person: Mapped[Person] = relationship()

    @property
    def state_label(self) -> str:
        """The state as the member reads it."""
        return QuestionMachine.labels()[self.state]


class SessionReminder(Base):
    """The day-before reminder of one session was queued for one person (never twice)."""

    __tablename__ = "session_reminders"
    __table_args__ = (UniqueConstraint("session_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("program_sessions.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    sent_at: Mapped[datetime] = mapped_column(UTCInstant())


class ReminderOptOut(Base):
    """A person turned session reminders off from their page (removing the row turns them on)."""

    __tablename__ = "reminder_optouts"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    since: Mapped[datetime] = mapped_column(UTCInstant())

"""Questions in advance for Q&A sessions: members send them before the deadline; facilitators
read them in order, mark them answered, or hide one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from cohort.models import MAX_QUESTION, Cohort, Group, GroupSession, SessionQuestion
from cohort.schedule import format_instant
from cohort.services.locking import lock_row
from cohort.services.session_access import sessions_open_to
from workflows import QuestionMachine

MAX_PER_PERSON = 5  # questions one person may send for one session


class QuestionRefused(ValueError):
    """A question that cannot be taken; the message says why, for the member."""


def questions_close_at(row: GroupSession) -> datetime:
    """When questions stop being taken: the deadline set on the session, else its start."""
    return row.questions_close_at or row.starts_at


def open_session(session: Session, person_id: int, session_id: int,
                 now: datetime) -> GroupSession | None:
    """The session if the person can enter it now (their cohort's or an open group's)."""
    return next((s for s in sessions_open_to(session, person_id, now) if s.id == session_id),
                None)


def ask_question(session: Session, row: GroupSession, person_id: int, text: str,
                 now: datetime) -> SessionQuestion:
    """Take a member's question for a Q&A before its deadline (the caller checked access)."""
    if row.kind != "qa":
        raise QuestionRefused("This session does not take questions in advance.")
    closes = questions_close_at(row)
    if now >= closes:
        raise QuestionRefused(
            f"Questions for this session closed on {format_instant(closes, row.zone)}. "
            "You can still ask during the session.")
    body = text.strip()
    if not body or len(body) > MAX_QUESTION:
        raise QuestionRefused(f"Please write your question in 1 to {MAX_QUESTION:,} characters.")
    sent = session.scalar(select(func.count()).select_from(SessionQuestion).where(
        SessionQuestion.session_id == row.id, SessionQuestion.person_id == person_id))
    if sent >= MAX_PER_PERSON:
        raise QuestionRefused(f"You have sent {MAX_PER_PERSON} questions for this session, "
                              "the most one person can send.")
    question = SessionQuestion(session_id=row.id, person_id=person_id, body=body,
                               state="waiting", submitted_at=now, state_changed_at=now)
    session.add(question)
    session.flush()
    return question


def own_questions(session: Session, person_id: int,
                  session_id: int | None = None) -> list[SessionQuestion]:
    """The person's questions (for one session if given), oldest first, with their sessions."""
    stmt = (select(SessionQuestion).where(SessionQuestion.person_id == person_id)
            .options(joinedload(SessionQuestion.session).joinedload(GroupSession.cohort)
                     .joinedload(Cohort.program),
                     joinedload(SessionQuestion.session).joinedload(GroupSession.group)
                     .joinedload(Group.community))
            .order_by(SessionQuestion.submitted_at, SessionQuestion.id))
    if session_id is not None:
        stmt = stmt.where(SessionQuestion.session_id == session_id)
    return list(session.scalars(stmt).unique())


def session_questions(session: Session, session_id: int) -> list[SessionQuestion]:
    """Every question for a session in the order they came, with who asked."""
    stmt = (select(SessionQuestion).where(SessionQuestion.session_id == session_id)
            .options(joinedload(SessionQuestion.person))
            .order_by(SessionQuestion.submitted_at, SessionQuestion.id))
    return list(session.scalars(stmt))


def change_question(session: Session, question_id: int, event: str,
                    now: datetime) -> SessionQuestion:
    """Answer, hide or show again a question (under lock); `Refused` says why not."""
    question = lock_row(session, SessionQuestion, question_id)
    machine = QuestionMachine(question.state)
    question.state = machine.fire(event, None)
    question.state_changed_at = now
    session.flush()
    return question

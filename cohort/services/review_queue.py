"""A cohort's review queue: counts, filters, search and sorting, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, contains_eager, selectinload, subqueryload

from cohort.models import ApplicationAnswers, Cohort, Enrollment, Person
from cohort.models.review import Review
from cohort.services.facts import count_by_state, seats_held
from workflows import EnrollmentMachine

SORTS = {"newest": "Newest first", "oldest": "Oldest first", "name": "Name"}
PER_PAGE = 100
STATE_ORDER = EnrollmentMachine.state_ids()


@dataclass(frozen=True)
class QueueFilter:
    """What the facilitator asked to see."""

    state: str = ""
    search: str = ""
    sort: str = "oldest"
    unreviewed_by: int | None = None
    page: int = 1


@dataclass
class QueuePage:
    """One page of the queue."""

    rows: list[Enrollment]
    total: int
    page: int
    pages: int


@dataclass
class QueueSummary:
    """Counts at the top of the queue."""

    counts: dict[str, int]
    capacity: int
    seats_held: int
    waitlisted: int
    total: int = field(init=False)

    def __post_init__(self) -> None:
        self.total = sum(self.counts.values())


def queue_summary(session: Session, cohort: Cohort) -> QueueSummary:
    """Counts per state, seats held and capacity, waitlist length."""
    counts = count_by_state(session, cohort.id)
    ordered = {state: counts.get(state, 0) for state in STATE_ORDER}
    return QueueSummary(ordered, cohort.capacity, seats_held(counts), counts.get("waitlisted", 0))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _query(cohort: Cohort, wanted: QueueFilter) -> Select[tuple[Enrollment]]:
    stmt = (
        select(Enrollment)
        .join(Enrollment.person)
        .join(Enrollment.answers)
        .where(Enrollment.cohort_id == cohort.id)
    )
    if wanted.state in STATE_ORDER:
        stmt = stmt.where(Enrollment.state == wanted.state)
    term = wanted.search.strip()[:100]
    if term:
        pattern = f"%{_escape_like(term.lower())}%"
        stmt = stmt.where(or_(
            Person.name.ilike(pattern, escape="\\"),
            ApplicationAnswers.organisation.ilike(pattern, escape="\\"),
            Person.email_normalized.like(pattern, escape="\\"),
        ))
    if wanted.unreviewed_by is not None:
        mine = select(Review.id).where(Review.enrollment_id == Enrollment.id,
                                       Review.reviewer_id == wanted.unreviewed_by)
        stmt = stmt.where(~mine.exists())
    order = {
        "newest": (Enrollment.submitted_at.desc(), Enrollment.id.desc()),
        "name": (Person.name, Enrollment.id),
    }.get(wanted.sort, (Enrollment.submitted_at, Enrollment.id))
    return stmt.order_by(*order)


def _with_details(stmt: Select[tuple[Enrollment]], *, paged: bool) -> Select[tuple[Enrollment]]:
    # A fixed number of statements however many rows: the joins already made carry the person
    # and answers; reviews (with reviewers) come in one more statement: for a page, by the ids
    # of its rows (one IN list of at most PER_PAGE), for everything, by repeating the query.
    # A page shows a few columns of the person and the answers; the long answers stay unread.
    if paged:
        return stmt.options(
            contains_eager(Enrollment.person).load_only(Person.name),
            contains_eager(Enrollment.answers).load_only(
                ApplicationAnswers.organisation, ApplicationAnswers.role,
                ApplicationAnswers.role_title),
            selectinload(Enrollment.reviews).joinedload(Review.reviewer))
    return stmt.options(contains_eager(Enrollment.person), contains_eager(Enrollment.answers),
                        subqueryload(Enrollment.reviews).joinedload(Review.reviewer))


def _known_total(wanted: QueueFilter, summary: QueueSummary | None) -> int | None:
    """How many rows match, when the summary's counts already say (no search, no 'mine')."""
    if summary is None or wanted.search.strip() or wanted.unreviewed_by is not None:
        return None
    if wanted.state in STATE_ORDER:
        return summary.counts.get(wanted.state, 0)
    return summary.total


def review_queue(session: Session, cohort: Cohort, wanted: QueueFilter,
                 summary: QueueSummary | None = None) -> QueuePage:
    """One page of the applications matching the filter, with people, answers and reviews.

    With the cohort's `summary` (counts per state), a filter on the state alone needs no count.
    """
    stmt = _query(cohort, wanted)
    total = _known_total(wanted, summary)
    if total is None:
        total = session.scalar(select(func.count()).select_from(
            stmt.order_by(None).with_only_columns(Enrollment.id).subquery())) or 0
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    page = min(max(wanted.page, 1), pages)
    rows = session.scalars(_with_details(stmt, paged=True).limit(PER_PAGE)
                           .offset((page - 1) * PER_PAGE))
    return QueuePage(list(rows.unique()), total, page, pages)


def all_applications(session: Session, cohort: Cohort) -> list[Enrollment]:
    """Every application of the cohort, oldest first, with details (for exports)."""
    stmt = _with_details(_query(cohort, QueueFilter(sort="oldest")), paged=False)
    return list(session.scalars(stmt).unique())

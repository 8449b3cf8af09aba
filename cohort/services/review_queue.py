"""A cohort's review queue: counts, filters, search and sorting, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.orm import Session, contains_eager, joinedload, subqueryload

from cohort.models import ApplicationAnswers, Cohort, Enrollment, Person, StaffUser
from cohort.models.review import Review
from cohort.paging import clamp_page, one_page, page_count, page_values
from cohort.services.facts import seats_held
from cohort.services.state_counts import count_by_state
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


@dataclass(frozen=True)
class QueueReview:
    """A review as the queue shows it: who recommended what."""

    reviewer_id: int
    reviewer_name: str
    recommendation: str


@dataclass
class QueueRow:
    """An application as the queue lists it: only the columns the page shows, read as plain rows
    (a page of 100 would otherwise build some 300 ORM objects to read a dozen values of each)."""

    id: int
    cohort: Cohort
    state: str
    country: str
    submitted_at: datetime
    name: str
    organisation: str
    role: str
    role_title: str
    reviews: list[QueueReview] = field(default_factory=list)

    @property
    def cohort_id(self) -> int:
        """The cohort's id, as on an enrollment."""
        return self.cohort.id


@dataclass
class QueuePage:
    """One page of the queue."""

    rows: list[QueueRow]
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


def summary_of(cohort: Cohort, counts: dict[str, int]) -> QueueSummary:
    """The summary of a cohort whose counts per state are known."""
    ordered = {state: counts.get(state, 0) for state in STATE_ORDER}
    return QueueSummary(ordered, cohort.capacity, seats_held(counts), counts.get("waitlisted", 0))


def queue_summary(session: Session, cohort: Cohort) -> QueueSummary:
    """Counts per state, seats held and capacity, waitlist length."""
    return summary_of(cohort, count_by_state(session, cohort.id))


# Any cohort (drafts included) by slug, with its program (pages name it: program — cohort).
# Built once: only the slug changes.
_COHORT_BY_SLUG = (select(Cohort).where(Cohort.slug == bindparam("slug"))
                   .options(joinedload(Cohort.program)))


def cohort_with_summary(session: Session, slug: str) -> tuple[Cohort, QueueSummary] | None:
    """A cohort by slug and its summary (the queue's and the dashboard's head), or None."""
    cohort = session.scalars(_COHORT_BY_SLUG, {"slug": slug}).one_or_none()
    if cohort is None:
        return None
    return cohort, queue_summary(session, cohort)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class _Shape:
    """Which clauses a filter needs; the statements for each shape are built once."""

    sort: str
    by_state: bool
    searching: bool
    unreviewed: bool


def _shape_and_values(cohort: Cohort, wanted: QueueFilter) -> tuple[_Shape, dict[str, Any]]:
    """The filter's shape and the values of its statement's parameters."""
    values: dict[str, Any] = {"cohort_id": cohort.id}
    by_state = wanted.state in STATE_ORDER
    if by_state:
        values["state"] = wanted.state
    term = wanted.search.strip()[:100]
    if term:
        values["pattern"] = f"%{_escape_like(term.lower())}%"
    if wanted.unreviewed_by is not None:
        values["reviewer_id"] = wanted.unreviewed_by
    sort = wanted.sort if wanted.sort in SORTS else "oldest"
    return _Shape(sort, by_state, bool(term), wanted.unreviewed_by is not None), values


@lru_cache(maxsize=64)
def _query(shape: _Shape) -> Select[tuple[Enrollment]]:
    """The applications a filter of this shape matches, in its order (parameters bound later)."""
    stmt = (
        select(Enrollment)
        .join(Enrollment.person)
        .join(Enrollment.answers)
        .where(Enrollment.cohort_id == bindparam("cohort_id"))
    )
    if shape.by_state:
        stmt = stmt.where(Enrollment.state == bindparam("state"))
    if shape.searching:
        pattern = bindparam("pattern")
        stmt = stmt.where(or_(
            Person.name.ilike(pattern, escape="\\"),
            ApplicationAnswers.organisation.ilike(pattern, escape="\\"),
            Person.email_normalized.like(pattern, escape="\\"),
        ))
    if shape.unreviewed:
        mine = select(Review.id).where(Review.enrollment_id == Enrollment.id,
                                       Review.reviewer_id == bindparam("reviewer_id"))
        stmt = stmt.where(~mine.exists())
    order = {
        "newest": (Enrollment.submitted_at.desc(), Enrollment.id.desc()),
        "name": (Person.name, Enrollment.id),
    }.get(shape.sort, (Enrollment.submitted_at, Enrollment.id))
    return stmt.order_by(*order)


@lru_cache(maxsize=64)
def _count(shape: _Shape) -> Select[tuple[int]]:
    """How many applications a filter of this shape matches."""
    return select(func.count()).select_from(
        _query(shape).order_by(None).with_only_columns(Enrollment.id).subquery())


def _with_details(stmt: Select[tuple[Enrollment]]) -> Select[tuple[Enrollment]]:
    # A fixed number of statements however many rows: the joins already made carry the person
    # and answers; reviews (with reviewers) come in one more statement, by repeating the query.
    return stmt.options(contains_eager(Enrollment.person), contains_eager(Enrollment.answers),
                        subqueryload(Enrollment.reviews).joinedload(Review.reviewer))


SORT_KEYS = {"newest": ("submitted_at", "id"), "name": ("name", "id")}
DESCENDING = {"newest"}


@lru_cache(maxsize=64)
def _page_statement(shape: _Shape) -> Select[Any]:
    """One page of a filter of this shape and the page's reviews, in one statement: the page
    (its columns only; the joins already made carry the person and the answers, the long
    answers stay unread) as a subquery, outer-joined to its reviews and reviewers, in the
    page's order. The page's size and offset are parameters written into the SQL (see
    `cohort.paging`)."""
    page = one_page(_query(shape).with_only_columns(
        Enrollment.id, Enrollment.state, Enrollment.country, Enrollment.submitted_at,
        Person.name, ApplicationAnswers.organisation, ApplicationAnswers.role,
        ApplicationAnswers.role_title)).subquery("page")
    reviews, reviewers = Review.__table__, StaffUser.__table__
    keys = [page.c[name] for name in SORT_KEYS.get(shape.sort, ("submitted_at", "id"))]
    if shape.sort in DESCENDING:
        keys = [key.desc() for key in keys]
    return (select(page, reviews.c.reviewer_id, reviewers.c.name, reviews.c.recommendation)
            .select_from(page.outerjoin(reviews, reviews.c.enrollment_id == page.c.id)
                         .outerjoin(reviewers, reviewers.c.id == reviews.c.reviewer_id))
            .order_by(*keys, reviews.c.created_at, reviews.c.id))


def _page_rows(session: Session, cohort: Cohort, shape: _Shape, values: dict[str, Any]
               ) -> list[QueueRow]:
    """The page's rows, each with its reviews (plain rows: read on the session's connection,
    without the ORM's execution around it)."""
    rows: list[QueueRow] = []
    for (id_, state, country, submitted_at, name, organisation, role, role_title,
         reviewer_id, reviewer_name, recommendation) in session.connection().execute(
            _page_statement(shape), values):
        if not rows or rows[-1].id != id_:
            rows.append(QueueRow(id_, cohort, state, country, submitted_at, name, organisation,
                                 role, role_title))
        if reviewer_id is not None:
            rows[-1].reviews.append(QueueReview(reviewer_id, reviewer_name, recommendation))
    return rows


def _known_total(wanted: QueueFilter, summary: QueueSummary | None) -> int | None:
    """How many rows match, when the summary's counts already say (no search, no 'mine')."""
    if summary is None or wanted.search.strip() or wanted.unreviewed_by is not None:
        return None
    if wanted.state in STATE_ORDER:
        return summary.counts.get(wanted.state, 0)
    return summary.total


def review_queue(session: Session, cohort: Cohort, wanted: QueueFilter,
                 summary: QueueSummary | None = None) -> QueuePage:
    """One page of the applications matching the filter, with names, answers and reviews.

    With the cohort's `summary` (counts per state), a filter on the state alone needs no count.
    """
    shape, values = _shape_and_values(cohort, wanted)
    total = _known_total(wanted, summary)
    if total is None:
        total = session.scalar(_count(shape), values) or 0
    pages = page_count(total, PER_PAGE)
    page = clamp_page(wanted.page, pages)
    rows = _page_rows(session, cohort, shape, {**values, **page_values(page, PER_PAGE)})
    return QueuePage(rows, total, page, pages)


def all_applications(session: Session, cohort: Cohort) -> list[Enrollment]:
    """Every application of the cohort, oldest first, with details (for exports)."""
    shape, values = _shape_and_values(cohort, QueueFilter(sort="oldest"))
    return list(session.scalars(_with_details(_query(shape)), values).unique())

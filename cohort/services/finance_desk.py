"""The finance desk's list of documents: what finance filters on, as SQL built once per shape of
filter, the totals over every match, and one page of matches as plain rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, func, select
from sqlalchemy.orm import Session

from cohort.invoices.status import STATUSES, amounts_of
from cohort.models import (
    DOCUMENT_KIND_LABELS,
    BillingAccount,
    Cohort,
    Community,
    Document,
    Enrollment,
    LedgerEntry,
    Program,
)
from cohort.models.program import cohort_name_of
from cohort.money import Money
from cohort.paging import clamp_page, one_page, page_count, page_values

KIND_LABELS = DOCUMENT_KIND_LABELS
PER_PAGE = 100


@dataclass(frozen=True)
class DocumentFilter:
    """What finance asked to see."""

    cohort: str = ""
    community: str = ""
    kind: str = ""
    status: str = ""
    issued_from: datetime | None = None
    issued_to: datetime | None = None
    country: str = ""


@dataclass(frozen=True)
class Shape:
    """Which clauses a filter needs; the statements for each shape are built once."""

    cohort: bool
    community: bool
    kind: bool
    issued_from: bool
    issued_to: bool
    country: bool
    status: bool


def shape_and_values(wanted: DocumentFilter, now: datetime) -> tuple[Shape, dict[str, Any]]:
    """The filter's shape and the values of its statements' parameters."""
    values: dict[str, Any] = {}
    if wanted.cohort:
        values["cohort_slug"] = wanted.cohort
    if wanted.community:
        values["community_slug"] = wanted.community
    if wanted.kind in KIND_LABELS:
        values["kind"] = wanted.kind
    if wanted.issued_from is not None:
        values["issued_from"] = wanted.issued_from
    if wanted.issued_to is not None:
        values["issued_to"] = wanted.issued_to
    if wanted.country:
        values["country"] = wanted.country
    if wanted.status in STATUSES:
        values.update(status=wanted.status, now=now)
    return Shape(*(name in values for name in ("cohort_slug", "community_slug", "kind",
                                               "issued_from", "issued_to", "country",
                                               "status"))), values


def _status_sql(balance_cents: ColumnElement[int]) -> ColumnElement[str]:
    """`amounts_of`' status as SQL (at the parameter `now`), for filtering before reading rows."""
    owed = case((balance_cents <= 0, 0), else_=balance_cents)
    due = case((owed < Document.total_cents, owed), else_=Document.total_cents)
    overdue = and_(Document.due_at.is_not(None), Document.due_at < bindparam("now"))
    return case((Document.kind == "receipt", "paid"), (Document.kind == "credit_note", "issued"),
                (due == 0, "paid"), (overdue, "overdue"), else_="outstanding")


def filtered(stmt: Select[Any], shape: Shape) -> Select[Any]:
    """`stmt` (over documents) narrowed by a filter of this shape, its values parameters."""
    if shape.cohort:
        stmt = stmt.join(Enrollment, Enrollment.account_id == Document.account_id).join(
            Enrollment.cohort).where(Cohort.slug == bindparam("cohort_slug"))
    if shape.community:
        stmt = stmt.where(Document.account_id.in_(
            select(BillingAccount.id).join(Community, Community.id == BillingAccount.community_id)
            .where(Community.slug == bindparam("community_slug"))))
    if shape.kind:
        stmt = stmt.where(Document.kind == bindparam("kind"))
    if shape.issued_from:
        stmt = stmt.where(Document.issued_at >= bindparam("issued_from"))
    if shape.issued_to:
        stmt = stmt.where(Document.issued_at < bindparam("issued_to"))
    if shape.country:
        stmt = stmt.where(Document.buyer["country"].as_string() == bindparam("country"))
    if shape.status:
        balances = (select(LedgerEntry.account_id,
                           func.sum(LedgerEntry.amount_cents).label("cents"))
                    .group_by(LedgerEntry.account_id).subquery())
        stmt = stmt.outerjoin(balances, balances.c.account_id == Document.account_id).where(
            _status_sql(func.coalesce(balances.c.cents, 0)) == bindparam("status"))
    return stmt


NEWEST_FIRST = (Document.issued_at.desc(), Document.id.desc())


@lru_cache(maxsize=128)
def totals_statement(shape: Shape) -> Select[Any]:
    """Each currency and kind's total and number of documents a filter of this shape matches."""
    return filtered(select(Document.currency, Document.kind, func.sum(Document.total_cents),
                           func.count(Document.id)), shape).group_by(Document.currency,
                                                                     Document.kind)


def totals(session: Session, shape: Shape, values: dict[str, Any]
           ) -> tuple[dict[tuple[str, str], int], int]:
    """Totals per currency and kind over every match, and how many match."""
    found, count = {}, 0
    for currency, kind, cents, documents in session.connection().execute(
            totals_statement(shape), values):
        found[(currency, kind)] = int(cents)
        count += documents
    return found, count


@dataclass(frozen=True)
class DeskRow:
    """A document as the desk lists it: only what the page shows, read as a plain row (100 rows
    would otherwise build some 600 ORM objects, the owner and its cohort, program and person)."""

    id: int
    display_number: str
    kind: str
    issued_at: datetime
    time_zone: str  # the owner's: the document is dated in it
    buyer_name: str
    buyer_organisation: str
    buyer_country: str
    billed_for: str  # as `account_owner` names it
    total: Money
    paid: Money
    balance_due: Money
    status: str
    refers_to: str  # the display number of the document it corrects, or ""
    account_id: int
    enrollment_id: int | None


@dataclass
class DeskPage:
    """One page of the desk, with totals per currency and kind over every match."""

    rows: list[DeskRow]
    totals: dict[tuple[str, str], int] = field(default_factory=dict)
    count: int = 0
    page: int = 1
    pages: int = 1


@lru_cache(maxsize=128)
def page_statement(shape: Shape) -> Select[Any]:
    """One page of a filter of this shape, in one statement: the page (its columns only) as a
    subquery, joined to what names its owner; the buyer's three fields taken out of its snapshot,
    the number of the document it corrects and its account's balance (an indexed sum) worked out
    for the page's rows only, not for every document the page is chosen from."""
    page = one_page(filtered(select(
        Document.id, Document.display_number, Document.kind, Document.issued_at,
        Document.due_at, Document.currency, Document.total_cents, Document.account_id,
        Document.refers_to_id, Document.buyer), shape)
        .order_by(*NEWEST_FIRST)).subquery("page")
    accounts, enrollments, cohorts, programs, communities, ledger = (
        BillingAccount.__table__, Enrollment.__table__, Cohort.__table__, Program.__table__,
        Community.__table__, LedgerEntry.__table__)
    refers = Document.__table__.alias("refers")
    refers_to = (select(refers.c.display_number).where(refers.c.id == page.c.refers_to_id)
                 .scalar_subquery())
    balance = (select(func.coalesce(func.sum(ledger.c.amount_cents), 0))
               .where(ledger.c.account_id == page.c.account_id).scalar_subquery())
    buyer = page.c.buyer
    return (select(page.c.id, page.c.display_number, page.c.kind, page.c.issued_at,
                   page.c.due_at, page.c.currency, page.c.total_cents, page.c.account_id,
                   buyer["name"].as_string(), buyer["organisation"].as_string(),
                   buyer["country"].as_string(), refers_to, enrollments.c.id, programs.c.title,
                   cohorts.c.title, cohorts.c.time_zone, communities.c.name,
                   communities.c.time_zone, balance)
            .select_from(
                page.join(accounts, accounts.c.id == page.c.account_id)
                .outerjoin(enrollments, enrollments.c.account_id == page.c.account_id)
                .outerjoin(cohorts, cohorts.c.id == enrollments.c.cohort_id)
                .outerjoin(programs, programs.c.id == cohorts.c.program_id)
                .outerjoin(communities, communities.c.id == accounts.c.community_id))
            .order_by(page.c.issued_at.desc(), page.c.id.desc()))


def _desk_row(row: Any, now: datetime) -> DeskRow:
    (id_, number, kind, issued_at, due_at, currency, total_cents, account_id, buyer_name,
     organisation, country, refers_to, enrollment_id, program_title, cohort_title,
     cohort_zone, community_name, community_zone, balance_cents) = row
    if enrollment_id is not None:
        billed_for, zone = cohort_name_of(program_title, cohort_title), cohort_zone
    elif community_name is not None:
        billed_for, zone = community_name, community_zone
    else:
        raise ValueError(f"billing account {account_id} has neither an enrollment nor a "
                         f"community")
    status, paid, due = amounts_of(kind, total_cents, due_at, int(balance_cents), now)
    return DeskRow(id_, number, kind, issued_at, zone, buyer_name or "", organisation or "",
                   country or "", billed_for, Money(total_cents, currency),
                   Money(paid, currency), Money(due, currency), status, refers_to or "",
                   account_id, enrollment_id)


def desk_page(session: Session, wanted: DocumentFilter, now: datetime, page: int) -> DeskPage:
    """Page `page` (of PER_PAGE, newest first) of the documents matching the filter, with totals
    over all of them: two statements whatever the filter and the page."""
    shape, values = shape_and_values(wanted, now)
    found, count = totals(session, shape, values)
    pages = page_count(count, PER_PAGE)
    page = clamp_page(page, pages)
    rows = session.connection().execute(page_statement(shape),
                                        {**values, **page_values(page, PER_PAGE)})
    return DeskPage([_desk_row(row, now) for row in rows], found, count, page, pages)


# The filter's choices: each cohort (named as `cohort_name` names it) and community, by slug.
_COHORT_CHOICES = (select(Cohort.slug, Program.title, Cohort.title)
                   .join(Program, Program.id == Cohort.program_id).order_by(Cohort.slug))
_COMMUNITY_CHOICES = select(Community.slug, Community.name).order_by(Community.name)


def filter_choices(session: Session) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(slug, name) of every cohort ("Program — cohort") and of every community."""
    conn = session.connection()
    cohorts = [(slug, cohort_name_of(program, title))
               for slug, program, title in conn.execute(_COHORT_CHOICES)]
    return cohorts, [(slug, name) for slug, name in conn.execute(_COMMUNITY_CHOICES)]

"""A community's PRO applications in the facilitators' review queue, and their decisions.

The same queue as a cohort's (`review_queue`: filters, search, 'not reviewed by me', pages of
`PER_PAGE`; `decisions`: a preview of every e-mail before anything is sent, then all or none),
over memberships applied for instead of enrollments. The decisions are the membership
machine's (`MembershipMachine.decisions`: approve, decline), fired through `change_membership`;
an approval e-mails signed links to subscribe monthly or yearly
(`subscriptions.pro_subscribe_url`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from cohort.mail.outbox import render_mail
from cohort.models import AuditRecord, Community, Membership, Person, Plan, PlanPrice
from cohort.models.review import Review
from cohort.paging import clamp_page, one_page, page_count
from cohort.services.decisions import MAX_BATCH, DecisionRefused
from cohort.services.facts import membership_facts
from cohort.services.review_queue import PER_PAGE, QueueFilter, QueuePage
from cohort.services.subscriptions import pro_subscribe_url
from cohort.services.transitions import MEMBER_NOTICES, TransitionRefused, change_membership
from workflows import MembershipMachine

PRO_DECISIONS = {event: MembershipMachine.event_labels()[event]
                 for event in MembershipMachine.decisions}
STATE_ORDER = MembershipMachine.state_ids()


@dataclass(frozen=True)
class ProDecisionPreview:
    """One applicant's decision as it would be taken, and the e-mail they would receive."""

    membership: Membership
    allowed: bool
    problem: str
    subject: str
    body: str


def _applications(community: Community) -> Select[tuple[Membership]]:
    return (select(Membership).join(Membership.person).join(Membership.plan)
            .where(Membership.community_id == community.id, Plan.by_application.is_(True),
                   Membership.application.is_not(None)))


def pro_queue_counts(session: Session, community: Community) -> dict[str, int]:
    """How many of the community's applications are in each state (every state listed)."""
    rows = session.execute(
        _applications(community).with_only_columns(Membership.state, func.count())
        .group_by(Membership.state)).all()
    counts = {state: count for state, count in rows}
    return {state: counts.get(state, 0) for state in STATE_ORDER}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(community: Community, wanted: QueueFilter) -> Select[tuple[Membership]]:
    stmt = _applications(community)
    if wanted.state in STATE_ORDER:
        stmt = stmt.where(Membership.state == wanted.state)
    term = wanted.search.strip()[:100]
    if term:
        pattern = f"%{_escape_like(term.lower())}%"
        stmt = stmt.where(or_(Person.name.ilike(pattern, escape="\\"),
                              Person.email_normalized.like(pattern, escape="\\")))
    if wanted.unreviewed_by is not None:
        mine = select(Review.id).where(Review.membership_id == Membership.id,
                                       Review.reviewer_id == wanted.unreviewed_by)
        stmt = stmt.where(~mine.exists())
    order = {"newest": (Membership.created_at.desc(), Membership.id.desc()),
             "name": (Person.name, Membership.id)}.get(
        wanted.sort, (Membership.created_at, Membership.id))
    return stmt.order_by(*order)


def pro_queue(session: Session, community: Community, wanted: QueueFilter) -> QueuePage:
    """One page of the applications matching the filter, with people and reviews (3 queries)."""
    stmt = _filtered(community, wanted)
    total = session.scalar(select(func.count()).select_from(
        stmt.order_by(None).with_only_columns(Membership.id).subquery())) or 0
    pages = page_count(total, PER_PAGE)
    page = clamp_page(wanted.page, pages)
    rows = session.scalars(
        one_page(stmt.options(contains_eager(Membership.person),
                              selectinload(Membership.reviews).joinedload(Review.reviewer)),
                 page, PER_PAGE))
    return QueuePage(list(rows.unique()), total, page, pages)


def membership_history(session: Session, membership: Membership) -> list[AuditRecord]:
    """The membership's audit trail, oldest first."""
    return list(session.scalars(
        select(AuditRecord).where(AuditRecord.subject_type == "membership",
                                  AuditRecord.subject_id == membership.id)
        .order_by(AuditRecord.occurred_at, AuditRecord.id)))


def pro_decisions_allowed(membership: Membership) -> list[str]:
    """The decisions the membership machine has from the current state (guards apart)."""
    possible = MembershipMachine.events_from(membership.state)
    return [event for event in PRO_DECISIONS if event in possible]


def load_pro_batch(session: Session, community: Community,
                   ids: Sequence[int]) -> list[Membership]:
    """The selected applications of this community, in the order given; unknown ids refused."""
    if not ids:
        raise DecisionRefused("Select at least one application.")
    if len(ids) > MAX_BATCH:
        raise DecisionRefused(f"Decide at most {MAX_BATCH} applications at once.")
    found = {m.id: m for m in session.scalars(
        _applications(community).where(Membership.id.in_(ids))
        .options(contains_eager(Membership.person)))}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise DecisionRefused(f"Applications {', '.join(missing)} are not in this community.")
    return [found[i] for i in dict.fromkeys(ids)]


def current_prices(session: Session, plan_id: int) -> dict[str, PlanPrice]:
    """The plan's current price per interval ('month', 'year')."""
    prices = session.scalars(select(PlanPrice).where(
        PlanPrice.plan_id == plan_id, PlanPrice.retired_at.is_(None)).order_by(PlanPrice.id))
    return {price.interval: price for price in prices}


def decision_mail(session: Session, membership: Membership, event: str, message: str,
                  now: datetime) -> dict[str, object]:
    """What the decision's e-mail adds to the membership's: the message, and for an approval
    the signed subscribe links and the plan's prices."""
    extra: dict[str, object] = {"message": message}
    if event == "approve":
        extra.update(subscribe_urls={interval: pro_subscribe_url(membership, interval)
                                     for interval in ("month", "year")},
                     prices=current_prices(session, membership.plan_id))
    return extra


def preview_pro_decisions(session: Session, memberships: Sequence[Membership], event: str,
                          message: str, now: datetime) -> list[ProDecisionPreview]:
    """What taking `event` for each application would do and send, changing nothing."""
    if event not in PRO_DECISIONS:
        raise DecisionRefused(f"Unknown decision “{event}”.")
    previews = []
    for membership in memberships:
        problem = " ".join(MembershipMachine(membership.state).explain(
            event, membership_facts(membership, now)))
        subject, body = render_mail(
            MEMBER_NOTICES[event], membership=membership, community=membership.community,
            plan=membership.plan, person=membership.person, reason=f"decision: {event}",
            **decision_mail(session, membership, event, message, now))
        previews.append(ProDecisionPreview(membership, not problem, problem, subject, body))
    return previews


def apply_pro_decisions(session: Session, memberships: Sequence[Membership], event: str, *,
                        actor: str, message: str, now: datetime) -> list[Membership]:
    """Take `event` for every application, or for none: the first refusal undoes the batch."""
    if event not in PRO_DECISIONS:
        raise DecisionRefused(f"Unknown decision “{event}”.")
    changed = []
    for membership in memberships:
        try:
            changed.append(change_membership(
                session, membership.id, event, actor=actor, now=now,
                reason=f"decision: {event}",
                mail=decision_mail(session, membership, event, message, now)))
        except TransitionRefused as refused:  # the caller rolls the whole batch back
            prefix = "Nothing was changed. " if len(memberships) > 1 else ""
            raise DecisionRefused(f"{prefix}{membership.person.name}: {refused.message}"
                                  ) from None
    return changed

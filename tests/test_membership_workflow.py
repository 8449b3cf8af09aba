"""The membership machine, without a database: what each state allows and what it means."""

from datetime import UTC, datetime, timedelta

import pytest

from workflows import MembershipFacts, MembershipMachine, Refused

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def facts(*, free: bool = False, paid_through: datetime | None = None,
          grace_until: datetime | None = None, starts_at: datetime | None = None,
          now: datetime = NOW) -> MembershipFacts:
    """Facts for a guard, with the membership's dates relative to NOW."""
    return MembershipFacts(now=now, free=free, paid_through=paid_through,
                           grace_until=grace_until, starts_at=starts_at)


def test_access_is_open_while_active_past_due_or_cancelling_and_nowhere_else():
    assert MembershipMachine.states_that("grants_access") == ("active", "past_due", "cancelling")


def test_a_cancelled_paid_membership_keeps_access_until_its_paid_period_ends():
    machine = MembershipMachine("active")
    paid = facts(paid_through=NOW + timedelta(days=10))
    assert machine.fire("cancel", paid) == "cancelling"
    assert machine.explain("end", paid) == ["The paid period runs until 2026-03-11 12:00 UTC."]
    assert machine.fire("end", facts(paid_through=NOW, now=NOW)) == "ended"


def test_a_cancellation_can_be_undone_only_before_the_period_ends():
    assert MembershipMachine("cancelling").fire(
        "undo_cancel", facts(paid_through=NOW + timedelta(seconds=1))) == "active"
    with pytest.raises(Refused):
        MembershipMachine("cancelling").fire("undo_cancel", facts(paid_through=NOW))


def test_a_failed_renewal_is_past_due_until_grace_ends_or_payment_comes():
    machine = MembershipMachine("active")
    assert machine.fire("fail_payment", facts()) == "past_due"
    with pytest.raises(Refused):
        machine.fire("lapse", facts(grace_until=NOW + timedelta(days=7)))
    assert MembershipMachine("past_due").fire("recover", facts()) == "active"
    assert MembershipMachine("past_due").fire("lapse", facts(grace_until=NOW)) == "ended"


def test_the_free_plan_is_left_not_cancelled_and_never_renews():
    free = facts(free=True)
    assert MembershipMachine("active").explain("cancel", free) != []
    assert MembershipMachine("active").explain("renew", free) != []
    assert MembershipMachine("active").fire("leave", free) == "ended"
    assert MembershipMachine("active").explain("leave", facts()) != []


def test_a_pro_application_is_decided_before_it_is_paid_for():
    machine = MembershipMachine("pending")
    assert machine.fire("apply", facts()) == "applied"
    assert MembershipMachine("applied").fire("approve", facts()) == "approved"
    assert MembershipMachine("approved").fire("activate", facts()) == "active"
    assert MembershipMachine("applied").fire("decline", facts()) == "declined"
    assert MembershipMachine("applied").explain("activate", facts()) != []


def test_a_kept_plan_starts_exactly_when_the_one_it_follows_ends():
    start = NOW + timedelta(days=3)
    machine = MembershipMachine("pending")
    assert machine.fire("schedule", facts()) == "scheduled"
    assert machine.explain("start", facts(starts_at=start)) == [
        "It starts on 2026-03-04 12:00 UTC."]
    assert machine.fire("start", facts(starts_at=start, now=start)) == "active"


# The whole matrix: every state × every event, with facts that satisfy every guard (a paid plan
# whose period and grace are over and whose start has come, or the free plan for `leave`).
# Each allowed pair leads where the table says; every other pair is refused in words.
MATRIX = {
    ("pending", "apply"): "applied", ("pending", "schedule"): "scheduled",
    ("pending", "activate"): "active", ("pending", "abandon"): "ended",
    ("applied", "approve"): "approved", ("applied", "decline"): "declined",
    ("applied", "abandon"): "ended",
    ("approved", "activate"): "active", ("approved", "abandon"): "ended",
    ("scheduled", "start"): "scheduled->active", ("scheduled", "cancel"): "ended",
    ("active", "renew"): "active", ("active", "fail_payment"): "past_due",
    ("active", "cancel"): "cancelling", ("active", "leave"): "ended (free)",
    ("active", "upgrade"): "ended",
    ("past_due", "recover"): "active", ("past_due", "cancel"): "ended",
    ("past_due", "lapse"): "ended", ("past_due", "upgrade"): "ended",
    ("cancelling", "undo_cancel"): "active (period left)", ("cancelling", "end"): "ended",
    ("cancelling", "upgrade"): "ended",
}
OVER = facts(paid_through=NOW, grace_until=NOW, starts_at=NOW)


@pytest.mark.parametrize("state", MembershipMachine.state_ids())
@pytest.mark.parametrize("event", MembershipMachine.event_ids())
def test_every_state_and_event_is_either_a_transition_or_refused_in_words(state, event):
    expected = MATRIX.get((state, event))
    machine = MembershipMachine(state)
    if expected is None:
        reasons = machine.explain(event, OVER)
        assert reasons and reasons[0].startswith("You cannot ") and state in reasons[0]
        with pytest.raises(Refused):
            machine.fire(event, OVER)
        assert machine.state == state  # a refusal changes nothing
        return
    given = OVER
    if expected == "ended (free)":
        given, expected = facts(free=True), "ended"
    elif expected == "active (period left)":
        given, expected = facts(paid_through=NOW + timedelta(seconds=1)), "active"
    elif expected == "scheduled->active":
        expected = "active"
    assert machine.fire(event, given) == expected


def test_the_matrix_names_every_transition_the_machine_defines():
    defined = {(s, e) for s in MembershipMachine.state_ids()
               for e in MembershipMachine.events_from(s)}
    assert defined == set(MATRIX)

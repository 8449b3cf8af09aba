"""The enrollment lifecycle machine, on its own: no database, no Flask."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.workflow_helpers import check_refusal
from workflows import EnrollmentFacts, EnrollmentMachine, Refused

SECOND = timedelta(seconds=1)
DEADLINE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

STATES = (
    "submitted", "waitlisted", "accepted", "registered", "invoiced", "paid", "participating",
    "completed", "declined", "withdrawn", "lapsed", "cancelled",
)
EVENTS = (
    "waitlist", "accept", "decline", "withdraw", "lapse", "register", "invoice", "pay", "start",
    "complete", "cancel",
)
FINAL_STATES = ("completed", "declined", "withdrawn", "lapsed", "cancelled")

# The lifecycle as it is meant to be, written out by hand: (state, event) -> new state.
ALLOWED = {
    ("submitted", "waitlist"): "waitlisted",
    ("submitted", "accept"): "accepted",
    ("submitted", "decline"): "declined",
    ("submitted", "withdraw"): "withdrawn",
    ("waitlisted", "accept"): "accepted",
    ("waitlisted", "decline"): "declined",
    ("waitlisted", "withdraw"): "withdrawn",
    ("accepted", "withdraw"): "withdrawn",
    ("accepted", "lapse"): "lapsed",
    ("accepted", "register"): "registered",
    ("registered", "invoice"): "invoiced",
    ("registered", "cancel"): "cancelled",
    ("invoiced", "pay"): "paid",
    ("invoiced", "start"): "participating",
    ("invoiced", "cancel"): "cancelled",
    ("paid", "start"): "participating",
    ("paid", "cancel"): "cancelled",
    ("participating", "complete"): "completed",
    ("participating", "cancel"): "cancelled",
}
FORBIDDEN = [(s, e) for s in STATES for e in EVENTS if (s, e) not in ALLOWED]

# What each event's guards need beyond the default facts (open cohort, a week before the deadline,
# nobody holding a seat).
SATISFYING = {
    "lapse": {"now": DEADLINE},
    "invoice": {"cohort_state": "confirmed"},
    "start": {"cohort_state": "running"},
    "complete": {"cohort_state": "finished"},
}


def facts(**changes: object) -> EnrollmentFacts:
    base = EnrollmentFacts(
        now=DEADLINE - timedelta(days=7),
        capacity=9,
        seats_held=0,
        waitlisted=0,
        registration_deadline=DEADLINE,
        cohort_state="open",
    )
    return replace(base, **changes)


def facts_for(event: str, **changes: object) -> EnrollmentFacts:
    return facts(**{**SATISFYING.get(event, {}), **changes})


def assert_refused(state: str, event: str, given: EnrollmentFacts) -> Refused:
    """Fire and check the refusal (see tests/workflow_helpers.py)."""
    return check_refusal(EnrollmentMachine, state, event, given)


# -- the shape of the machine ---------------------------------------------------------------------
def test_machine_defines_exactly_the_expected_states_and_events():
    assert EnrollmentMachine.state_ids() == list(STATES)
    assert EnrollmentMachine.event_ids() == list(EVENTS)


def test_expected_table_covers_exactly_the_machines_transitions():
    defined = {
        (state, event)
        for state in EnrollmentMachine.state_ids()
        for event in EnrollmentMachine(state).possible_events()
    }
    assert defined == set(ALLOWED)


def test_exits_and_completion_are_final_and_offer_no_events():
    assert [s.id for s in EnrollmentMachine.final_states] == list(FINAL_STATES)
    for state in FINAL_STATES:
        assert EnrollmentMachine(state).possible_events() == []


def test_seat_holding_states_are_exactly_accepted_through_participating():
    assert EnrollmentMachine.states_that("holds_seat") == (
        "accepted", "registered", "invoiced", "paid", "participating")


def test_state_traits_name_the_states_they_mean():
    assert EnrollmentMachine.states_that("deposit_paid") == (
        "registered", "invoiced", "paid", "participating")
    assert EnrollmentMachine.states_that("balance_payable") == ("invoiced", "participating")
    assert EnrollmentMachine.states_that("takes_bank_transfer") == (
        "invoiced", "paid", "participating")
    assert EnrollmentMachine.states_that("rebate_due") == (
        "registered", "invoiced", "paid", "participating", "completed")
    with pytest.raises(KeyError):
        EnrollmentMachine.states_that("takes_decisions")


def test_sources_and_events_from_read_the_transitions():
    assert EnrollmentMachine.sources("cancel") == ("registered", "invoiced", "paid",
                                                   "participating")
    assert EnrollmentMachine.sources("register") == ("accepted",)
    assert EnrollmentMachine.sources("start") == ("invoiced", "paid")
    for state in STATES:
        assert set(EnrollmentMachine.events_from(state)) == {e for s, e in ALLOWED if s == state}
    assert EnrollmentMachine.final_state_ids() == FINAL_STATES


@pytest.mark.parametrize(("state", "event"), [
    ("submitted", "decline"), ("waitlisted", "decline"), ("accepted", "withdraw"),
    ("registered", "cancel"), ("invoiced", "cancel"), ("paid", "cancel"),
    ("participating", "cancel"), ("completed", None), ("declined", None), ("withdrawn", None),
    ("lapsed", None), ("cancelled", None),
])
def test_each_state_leaves_a_cancelled_cohort_by_its_own_event(state, event):
    assert EnrollmentMachine.exit_when_cohort_cancelled(state) == event


def test_labels_are_the_state_names_people_read():
    labels = EnrollmentMachine.labels()
    assert list(labels) == list(STATES)
    assert labels["submitted"] == "Application received"
    assert labels["invoiced"] == "Invoice sent"


# -- every transition -----------------------------------------------------------------------------
@pytest.mark.parametrize(("state", "event"), list(ALLOWED), ids=lambda v: v)
def test_allowed_transition_moves_to_its_target(state, event):
    machine = EnrollmentMachine(state)
    assert machine.fire(event, facts_for(event)) == ALLOWED[(state, event)]
    assert machine.state == ALLOWED[(state, event)]


@pytest.mark.parametrize(("state", "event"), FORBIDDEN, ids=lambda v: v)
def test_forbidden_transition_is_refused_naming_the_state(state, event):
    refusal = assert_refused(state, event, facts_for(event))
    assert refusal.reasons == [str(refusal)]
    assert f"an application that is {state}." in str(refusal)


def test_unknown_event_is_refused_as_no_such_action():
    refusal = assert_refused("submitted", "approve", facts())
    assert "approve" in str(refusal)


# -- deciding needs a deciding cohort -------------------------------------------------------------
@pytest.mark.parametrize("cohort_state", ["open", "closed", "confirmed"])
@pytest.mark.parametrize(("state", "event"), [("submitted", "accept"),
                                              ("waitlisted", "accept"),
                                              ("submitted", "waitlist")])
def test_decisions_are_taken_while_the_cohort_is_deciding(state, event, cohort_state):
    machine = EnrollmentMachine(state)
    assert machine.fire(event, facts(cohort_state=cohort_state)) == ALLOWED[(state, event)]


@pytest.mark.parametrize("cohort_state", ["draft", "running", "cancelled", "finished"])
@pytest.mark.parametrize(("state", "event"), [("submitted", "accept"),
                                              ("waitlisted", "accept"),
                                              ("submitted", "waitlist")])
def test_decisions_are_refused_once_the_cohort_is_not_deciding(state, event, cohort_state):
    refusal = assert_refused(state, event, facts(cohort_state=cohort_state))
    assert refusal.reasons == [f"The cohort is {cohort_state}; decisions are no longer taken."]


# -- the registration deadline --------------------------------------------------------------------
@pytest.mark.parametrize(("state", "event"), [("submitted", "accept"),
                                              ("waitlisted", "accept"),
                                              ("accepted", "register")])
def test_accepting_and_registering_one_second_before_the_deadline_is_allowed(state, event):
    machine = EnrollmentMachine(state)
    assert machine.fire(event, facts(now=DEADLINE - SECOND)) == ALLOWED[(state, event)]


@pytest.mark.parametrize(("state", "event"), [("submitted", "accept"),
                                              ("waitlisted", "accept"),
                                              ("accepted", "register")])
def test_accepting_and_registering_at_the_deadline_is_refused(state, event):
    refusal = assert_refused(state, event, facts(now=DEADLINE))
    assert refusal.reasons == ["The registration deadline passed on 2025-03-01 12:00 UTC."]


def test_lapsing_one_second_before_the_deadline_is_refused():
    refusal = assert_refused("accepted", "lapse", facts(now=DEADLINE - SECOND))
    assert refusal.reasons == [
        "The registration deadline (2025-03-01 12:00 UTC) has not passed yet."
    ]


def test_lapsing_at_the_deadline_is_allowed():
    machine = EnrollmentMachine("accepted")
    assert machine.fire("lapse", facts(now=DEADLINE)) == "lapsed"


# -- seats ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("state", ["submitted", "waitlisted"])
def test_accepting_into_the_last_free_seat_is_allowed(state):
    machine = EnrollmentMachine(state)
    assert machine.fire("accept", facts(capacity=9, seats_held=8, waitlisted=2)) == "accepted"


@pytest.mark.parametrize("state", ["submitted", "waitlisted"])
def test_accepting_a_full_cohort_is_refused_with_seats_and_waitlist(state):
    refusal = assert_refused(state, "accept", facts(capacity=9, seats_held=9, waitlisted=2))
    assert "9 of 9" in str(refusal)
    assert "2 on the waitlist" in str(refusal)


def test_accepting_a_full_cohort_with_nobody_waiting_says_so():
    refusal = assert_refused("submitted", "accept", facts(capacity=9, seats_held=9, waitlisted=0))
    assert "9 of 9" in str(refusal)
    assert "nobody waitlisted" in str(refusal)


def test_accepting_an_overfull_cohort_is_refused():
    refusal = assert_refused("submitted", "accept", facts(capacity=9, seats_held=10))
    assert "10 of 9" in str(refusal)


def test_a_full_cohort_still_allows_waitlisting():
    machine = EnrollmentMachine("submitted")
    assert machine.fire("waitlist", facts(capacity=9, seats_held=9)) == "waitlisted"


# -- the cohort's progress ------------------------------------------------------------------------
@pytest.mark.parametrize("cohort_state", ["confirmed", "running"])
def test_invoicing_is_allowed_once_the_cohort_is_confirmed(cohort_state):
    machine = EnrollmentMachine("registered")
    assert machine.fire("invoice", facts(cohort_state=cohort_state)) == "invoiced"


@pytest.mark.parametrize("cohort_state", ["draft", "open", "closed", "finished", "cancelled"])
def test_invoicing_is_refused_before_the_cohort_is_confirmed(cohort_state):
    refusal = assert_refused("registered", "invoice", facts(cohort_state=cohort_state))
    assert refusal.reasons == [f"The cohort is {cohort_state}, not confirmed."]


@pytest.mark.parametrize("cohort_state", ["draft", "open", "closed", "confirmed", "finished",
                                          "cancelled"])
@pytest.mark.parametrize("state", ["invoiced", "paid"])
def test_starting_participation_is_refused_unless_the_cohort_runs(state, cohort_state):
    refusal = assert_refused(state, "start", facts(cohort_state=cohort_state))
    assert refusal.reasons == [f"The cohort is {cohort_state}, not running."]


@pytest.mark.parametrize("cohort_state", ["draft", "open", "closed", "confirmed", "running",
                                          "cancelled"])
def test_completing_is_refused_unless_the_cohort_finished(cohort_state):
    refusal = assert_refused("participating", "complete", facts(cohort_state=cohort_state))
    assert refusal.reasons == [f"The cohort is {cohort_state}, not finished."]


# -- refusals and what is enabled -----------------------------------------------------------------
def test_reasons_of_an_earlier_refusal_do_not_leak_into_the_next():
    machine = EnrollmentMachine("submitted")
    with pytest.raises(Refused):
        machine.fire("accept", facts(seats_held=9))
    with pytest.raises(Refused) as excinfo:
        machine.fire("accept", facts(now=DEADLINE))
    assert excinfo.value.reasons == ["The registration deadline passed on 2025-03-01 12:00 UTC."]
    assert machine.fire("accept", facts()) == "accepted"


def test_enabled_lists_only_events_whose_guards_pass():
    machine = EnrollmentMachine("submitted")
    full = facts(capacity=9, seats_held=9)
    assert set(machine.enabled(full)) == {"waitlist", "decline", "withdraw"}
    assert set(machine.enabled(facts())) == {"waitlist", "accept", "decline", "withdraw"}
    assert set(machine.enabled(facts(cohort_state="running"))) == {"decline", "withdraw"}
    assert machine.state == "submitted"


def test_enabled_follows_the_deadline_for_accepted_applications():
    machine = EnrollmentMachine("accepted")
    assert set(machine.enabled(facts(now=DEADLINE - SECOND))) == {"withdraw", "register"}
    assert set(machine.enabled(facts(now=DEADLINE))) == {"withdraw", "lapse"}


def test_explaining_changes_nothing_and_gives_every_reason():
    machine = EnrollmentMachine("submitted")
    given = facts(seats_held=9, now=DEADLINE)
    reasons = machine.explain("accept", given)
    assert reasons == ["The registration deadline passed on 2025-03-01 12:00 UTC.",
                       reasons[1]]
    assert reasons[1].startswith("The cohort is full: 9 of 9 seats are held")
    assert machine.explain("accept", given) == reasons
    assert machine.explain("accept", facts()) == []
    assert machine.state == "submitted"
    assert not hasattr(machine, "refusals")


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("given", [facts(), facts(now=DEADLINE), facts(seats_held=9),
                                   facts(cohort_state="confirmed"), facts(cohort_state="running"),
                                   facts(cohort_state="finished")], ids=str)
def test_enabled_events_are_exactly_those_with_nothing_to_explain(state, given):
    machine = EnrollmentMachine(state)
    unexplained = [e for e in EnrollmentMachine.event_ids() if not machine.explain(e, given)]
    assert set(machine.enabled(given)) == set(unexplained)


def test_possible_events_ignore_guards():
    submitted = EnrollmentMachine("submitted")
    assert "accept" not in submitted.enabled(facts(seats_held=9))
    assert set(submitted.possible_events()) == {"waitlist", "accept", "decline", "withdraw"}
    accepted = EnrollmentMachine("accepted")
    assert "lapse" not in accepted.enabled(facts(now=DEADLINE - SECOND))
    assert set(accepted.possible_events()) == {"withdraw", "lapse", "register"}

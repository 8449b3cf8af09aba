"""The cohort lifecycle machine, on its own: no database, no Flask."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.workflow_helpers import check_refusal
from workflows import CohortFacts, CohortMachine, Refused

SECOND = timedelta(seconds=1)
CLOSE = datetime(2025, 1, 15, 17, 0, tzinfo=UTC)
FIRST_MEETING = datetime(2025, 2, 7, 0, 0, tzinfo=UTC)
LAST_MEETING_ENDS = datetime(2025, 6, 27, 2, 0, tzinfo=UTC)
MINIMUM = 6

STATES = ("draft", "open", "closed", "confirmed", "running", "finished", "cancelled")
EVENTS = ("publish", "close", "reopen", "confirm", "start", "finish", "cancel")
FINAL_STATES = ("finished", "cancelled")

# The lifecycle as it is meant to be, written out by hand: (state, event) -> new state.
ALLOWED = {
    ("draft", "publish"): "open",
    ("draft", "cancel"): "cancelled",
    ("open", "close"): "closed",
    ("open", "cancel"): "cancelled",
    ("closed", "reopen"): "open",
    ("closed", "confirm"): "confirmed",
    ("closed", "cancel"): "cancelled",
    ("confirmed", "start"): "running",
    ("confirmed", "cancel"): "cancelled",
    ("running", "finish"): "finished",
}
FORBIDDEN = [(s, e) for s in STATES for e in EVENTS if (s, e) not in ALLOWED]

# What each event's guards need beyond the default facts (a week before applications close,
# meetings scheduled, exactly the minimum registered).
SATISFYING = {
    "start": {"now": FIRST_MEETING},
    "finish": {"now": LAST_MEETING_ENDS},
}


def facts(**changes: object) -> CohortFacts:
    base = CohortFacts(
        now=CLOSE - timedelta(days=7),
        applications_close_at=CLOSE,
        first_meeting_at=FIRST_MEETING,
        last_meeting_ends_at=LAST_MEETING_ENDS,
        registered=MINIMUM,
        minimum=MINIMUM,
    )
    return replace(base, **changes)


def facts_for(event: str, **changes: object) -> CohortFacts:
    return facts(**{**SATISFYING.get(event, {}), **changes})


def assert_refused(state: str, event: str, given: CohortFacts) -> Refused:
    """Fire and check the refusal (see tests/workflow_helpers.py)."""
    return check_refusal(CohortMachine, state, event, given)


# -- the shape of the machine ---------------------------------------------------------------------
def test_machine_defines_exactly_the_expected_states_and_events():
    assert CohortMachine.state_ids() == list(STATES)
    assert CohortMachine.event_ids() == list(EVENTS)


def test_expected_table_covers_exactly_the_machines_transitions():
    defined = {
        (state, event)
        for state in CohortMachine.state_ids()
        for event in CohortMachine(state).possible_events()
    }
    assert defined == set(ALLOWED)


def test_finished_and_cancelled_are_final_and_offer_no_events():
    assert [s.id for s in CohortMachine.final_states] == list(FINAL_STATES)
    for state in FINAL_STATES:
        assert CohortMachine(state).possible_events() == []


# -- every transition -----------------------------------------------------------------------------
@pytest.mark.parametrize(("state", "event"), list(ALLOWED), ids=lambda v: v)
def test_allowed_transition_moves_to_its_target(state, event):
    machine = CohortMachine(state)
    assert machine.fire(event, facts_for(event)) == ALLOWED[(state, event)]
    assert machine.state == ALLOWED[(state, event)]


@pytest.mark.parametrize(("state", "event"), FORBIDDEN, ids=lambda v: v)
def test_forbidden_transition_is_refused_naming_the_state(state, event):
    refusal = assert_refused(state, event, facts_for(event))
    assert refusal.reasons == [str(refusal)]
    assert f"a cohort that is {state}." in str(refusal)


def test_unknown_event_is_refused_as_no_such_action():
    refusal = assert_refused("draft", "archive", facts())
    assert "archive" in str(refusal)


# -- publishing and reopening ---------------------------------------------------------------------
def test_publishing_without_meetings_is_refused():
    refusal = assert_refused("draft", "publish", facts(first_meeting_at=None,
                                                       last_meeting_ends_at=None))
    assert refusal.reasons == ["The cohort has no meetings yet."]


@pytest.mark.parametrize(("state", "event"), [("draft", "publish"), ("closed", "reopen")])
def test_taking_applications_one_second_before_they_close_is_allowed(state, event):
    machine = CohortMachine(state)
    assert machine.fire(event, facts(now=CLOSE - SECOND)) == "open"


@pytest.mark.parametrize(("state", "event"), [("draft", "publish"), ("closed", "reopen")])
@pytest.mark.parametrize("offset", [timedelta(0), SECOND, timedelta(days=30)])
def test_taking_applications_once_they_close_is_refused(state, event, offset):
    refusal = assert_refused(state, event, facts(now=CLOSE + offset))
    assert refusal.reasons == ["The application deadline passed on 2025-01-15 17:00 UTC."]


def test_closing_applications_needs_no_deadline_to_pass():
    machine = CohortMachine("open")
    assert machine.fire("close", facts(now=CLOSE - timedelta(days=30))) == "closed"


# -- confirming -----------------------------------------------------------------------------------
def test_confirming_one_short_of_the_minimum_is_refused_naming_both_numbers():
    refusal = assert_refused("closed", "confirm", facts(registered=MINIMUM - 1))
    assert refusal.reasons == ["Only 5 registered; the cohort needs at least 6 to go ahead."]


def test_confirming_with_nobody_registered_is_refused():
    refusal = assert_refused("closed", "confirm", facts(registered=0))
    assert "Only 0 registered" in str(refusal)


@pytest.mark.parametrize("registered", [MINIMUM, MINIMUM + 1, 20])
def test_confirming_with_at_least_the_minimum_is_allowed(registered):
    machine = CohortMachine("closed")
    assert machine.fire("confirm", facts(registered=registered)) == "confirmed"


# -- starting and finishing -----------------------------------------------------------------------
def test_starting_at_the_first_meeting_is_allowed():
    machine = CohortMachine("confirmed")
    assert machine.fire("start", facts(now=FIRST_MEETING)) == "running"


def test_starting_one_second_before_the_first_meeting_is_refused():
    refusal = assert_refused("confirmed", "start", facts(now=FIRST_MEETING - SECOND))
    assert refusal.reasons == ["The first meeting has not started yet."]


def test_starting_without_meetings_is_refused():
    refusal = assert_refused("confirmed", "start", facts(now=FIRST_MEETING, first_meeting_at=None))
    assert refusal.reasons == ["The first meeting has not started yet."]


def test_finishing_when_the_last_meeting_ends_is_allowed():
    machine = CohortMachine("running")
    assert machine.fire("finish", facts(now=LAST_MEETING_ENDS)) == "finished"


def test_finishing_one_second_before_the_last_meeting_ends_is_refused():
    refusal = assert_refused("running", "finish", facts(now=LAST_MEETING_ENDS - SECOND))
    assert refusal.reasons == ["The last meeting has not ended yet."]


def test_finishing_without_meetings_is_refused():
    refusal = assert_refused("running", "finish",
                             facts(now=LAST_MEETING_ENDS, last_meeting_ends_at=None))
    assert refusal.reasons == ["The last meeting has not ended yet."]


# -- refusals and what is enabled -----------------------------------------------------------------
def test_reasons_of_an_earlier_refusal_do_not_leak_into_the_next():
    machine = CohortMachine("closed")
    with pytest.raises(Refused):
        machine.fire("confirm", facts(registered=0))
    with pytest.raises(Refused) as excinfo:
        machine.fire("reopen", facts(now=CLOSE))
    assert excinfo.value.reasons == ["The application deadline passed on 2025-01-15 17:00 UTC."]
    assert machine.fire("confirm", facts()) == "confirmed"


def test_enabled_lists_only_events_whose_guards_pass():
    machine = CohortMachine("closed")
    assert set(machine.enabled(facts())) == {"reopen", "confirm", "cancel"}
    assert set(machine.enabled(facts(now=CLOSE))) == {"confirm", "cancel"}
    assert set(machine.enabled(facts(now=CLOSE, registered=MINIMUM - 1))) == {"cancel"}
    assert machine.state == "closed"


def test_enabled_follows_the_meeting_times():
    assert CohortMachine("confirmed").enabled(facts(now=FIRST_MEETING - SECOND)) == ["cancel"]
    assert set(CohortMachine("confirmed").enabled(facts(now=FIRST_MEETING))) == {"start", "cancel"}
    assert CohortMachine("running").enabled(facts(now=LAST_MEETING_ENDS - SECOND)) == []
    assert CohortMachine("running").enabled(facts(now=LAST_MEETING_ENDS)) == ["finish"]


def test_explaining_a_refusal_changes_nothing_and_says_the_same_each_time():
    machine = CohortMachine("closed")
    given = facts(now=CLOSE, registered=0)
    first = machine.explain("confirm", given)
    assert first == ["Only 0 registered; the cohort needs at least 6 to go ahead."]
    assert machine.explain("confirm", given) == first
    assert machine.explain("confirm", facts()) == []
    assert machine.state == "closed"
    assert not hasattr(machine, "refusals")


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("given", [facts(), facts(now=CLOSE), facts(registered=0),
                                   facts(now=FIRST_MEETING), facts(now=LAST_MEETING_ENDS),
                                   facts(first_meeting_at=None)], ids=str)
def test_enabled_events_are_exactly_those_with_nothing_to_explain(state, given):
    machine = CohortMachine(state)
    unexplained = [e for e in CohortMachine.event_ids() if not machine.explain(e, given)]
    assert set(machine.enabled(given)) == set(unexplained)


def test_explain_gives_every_reason_a_guard_has():
    machine = CohortMachine("draft")
    reasons = machine.explain("publish", facts(now=CLOSE, first_meeting_at=None))
    assert reasons == ["The cohort has no meetings yet.",
                       "The application deadline passed on 2025-01-15 17:00 UTC."]


# -- what the states mean elsewhere ---------------------------------------------------------------
def test_state_traits_name_the_states_they_mean():
    assert CohortMachine.states_that("public") == (
        "open", "closed", "confirmed", "running", "finished", "cancelled")
    assert CohortMachine.states_that("takes_applications") == ("open",)
    assert CohortMachine.states_that("takes_decisions") == ("open", "closed", "confirmed")
    assert CohortMachine.states_that("goes_ahead") == ("confirmed", "running")


def test_an_unknown_trait_is_an_error_not_an_empty_set():
    with pytest.raises(KeyError):
        CohortMachine.states_that("holds_seat")


def test_sources_and_events_from_read_the_transitions():
    assert CohortMachine.sources("cancel") == ("draft", "open", "closed", "confirmed")
    assert CohortMachine.sources("close") == ("open",)
    for state in STATES:
        assert set(CohortMachine.events_from(state)) == {e for s, e in ALLOWED if s == state}
    assert CohortMachine.final_state_ids() == FINAL_STATES


def test_labels_are_the_state_names_people_read():
    assert CohortMachine.labels()["open"] == "Open for applications"
    assert list(CohortMachine.labels()) == list(STATES)


def test_possible_events_ignore_guards():
    machine = CohortMachine("closed")
    assert machine.enabled(facts(now=CLOSE, registered=0)) == ["cancel"]
    assert set(machine.possible_events()) == {"reopen", "confirm", "cancel"}
    draft = CohortMachine("draft")
    assert "publish" not in draft.enabled(facts(first_meeting_at=None))
    assert set(draft.possible_events()) == {"publish", "cancel"}


def test_the_machines_say_where_each_time_driven_event_leads():
    from workflows import EnrollmentMachine

    assert [CohortMachine.target(e) for e in ("close", "start", "finish")] == [
        "closed", "running", "finished"]
    assert [EnrollmentMachine.target(e) for e in ("lapse", "start", "complete")] == [
        "lapsed", "participating", "completed"]
    with pytest.raises(KeyError, match="not one state"):
        CohortMachine.target("no-such-event")

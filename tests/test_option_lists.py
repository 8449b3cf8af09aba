"""Long option lists are drawn once per process, and draw exactly what WTForms drew before.

The "before" is WTForms' own `Select` widget over a plain list of the same choices: each field
that now takes its options' HTML from an `OptionList` must render the same bytes, whatever its
value (none, empty, a listed one, an unlisted one, a non-string) and whatever attributes the
template passes.
"""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict
from wtforms.widgets import Select

from forms.application import ApplicationForm
from forms.finance import DocumentFilterForm
from forms.option_lists import OptionList, country_options, zone_options
from forms.registration import RegistrationForm
from forms.timezone import ZoneChoiceForm

VALUES = [None, "", "US", "AU", "America/New_York", "Pacific/Auckland", "Nowhere/Else",
          "us", 7, "<script>"]
ATTRIBUTES = [{}, {"id": "tz"}, {"aria-describedby": "country-help", "aria-invalid": "true"},
              {"required": True, "class": "wide"}]


def _forms(app):
    return [ApplicationForm(meta={"csrf": False}), ZoneChoiceForm(),
            RegistrationForm(meta={"csrf": False}),
            DocumentFilterForm(MultiDict(), cohorts=[("cop-2024", "CoP — 2024")],
                               meta={"csrf": False})]


def _old_rendering(field, **attributes) -> str:
    """WTForms' stock Select over a plain copy of the field's choices."""
    prerendered = field.choices
    field.choices = list(prerendered)
    try:
        return str(Select()(field, **attributes))
    finally:
        field.choices = prerendered


def test_country_and_zone_selects_render_byte_for_byte_as_wtforms_did(app):
    with app.test_request_context("/"):
        checked = 0
        for form in _forms(app):
            long_fields = [f for f in form if isinstance(getattr(f, "choices", None),
                                                         OptionList)]
            assert long_fields, f"{type(form).__name__} has no prerendered select"
            for field in long_fields:
                for value in VALUES:
                    field.data = value
                    for attributes in ATTRIBUTES:
                        assert str(field(**attributes)) == _old_rendering(field, **attributes)
                        checked += 1
        assert checked == 5 * len(VALUES) * len(ATTRIBUTES)


def test_a_listed_value_is_the_one_option_selected(app):
    with app.test_request_context("/"):
        form = ApplicationForm(meta={"csrf": False})
        form.time_zone.data = "Australia/Sydney"
        html = str(form.time_zone())
        assert html.count(" selected") == 1
        assert '<option selected value="Australia/Sydney">Australia/Sydney</option>' in html
        assert html.count("<option ") == len(zone_options())
        form.country.data = "NZ"
        assert str(form.country()).count(" selected") == 1


def test_option_lists_are_made_once_per_process(app):
    with app.test_request_context("/"):
        first, second = ApplicationForm(meta={"csrf": False}), ApplicationForm(meta={"csrf": False})
        assert first.country.choices is second.country.choices is country_options()
        assert first.time_zone.choices is second.time_zone.choices is zone_options()
        assert ZoneChoiceForm().tz.choices is zone_options(None)
        assert len(country_options()) + len(zone_options()) > 600


@pytest.mark.parametrize("pairs", [[("a", "A"), ("a", "again")], [("x", "<b>&")]])
def test_unusual_lists_still_render_as_wtforms_does(app, pairs):
    with app.test_request_context("/"):
        form = ZoneChoiceForm()
        form.tz.choices = OptionList(pairs)
        for value in ("a", "x", None):
            form.tz.data = value
            assert str(form.tz()) == _old_rendering(form.tz)


def _radio_forms():
    from forms.console import ReviewForm

    return [ApplicationForm(meta={"csrf": False}), ReviewForm(meta={"csrf": False})]


def test_radio_buttons_render_byte_for_byte_as_wtforms_draws_them(app):
    from wtforms import RadioField

    from forms.option_lists import radio_options

    with app.test_request_context("/"):
        checked = 0
        for form in _radio_forms():
            radios = [f for f in form if isinstance(f, RadioField)]
            assert radios, f"{type(form).__name__} has no radio field"
            for field in radios:
                values = [None, "", "nothing-listed", "<b>", *(c.value for c in field.choices)]
                for value in values:
                    field.data = value
                    drawn = [f"{option()} {option.label()}" for option in field]
                    assert list(map(str, radio_options(field))) == drawn
                    assert list(map(str, radio_options(field))) == drawn  # kept, and still so
                    assert sum('checked' in html for html in drawn) == (value in values[4:])
                    checked += 1
        assert checked >= 30


def test_the_application_form_page_is_unchanged_by_drawn_radios(app, client, session):
    from forms import option_lists
    from tests.factories import make_cohort

    cohort = make_cohort(session)
    session.commit()
    url = f"/cohorts/{cohort.slug}/apply"
    invalid = {"role": "other", "sector": "not_for_profit", "prerequisite": "equivalent"}
    pages = []
    for draw in (option_lists._drawn, option_lists.radio_options):
        app.jinja_env.globals["radio_options"] = draw
        app.jinja_env.cache.clear()
        page = client.get(url).get_data(as_text=True)
        refused = client.post(url, data=invalid).get_data(as_text=True)
        pages.append([_without_tokens(page), _without_tokens(refused)])
    assert '<input checked id="sector-1" name="sector" required type="radio"' in pages[1][1]
    assert pages[0] == pages[1]


def _without_tokens(html: str) -> str:
    import re

    return re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "TOKEN", html)

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

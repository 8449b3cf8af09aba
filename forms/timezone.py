"""The visitor's time-zone selector on public pages (a GET form: it changes no data)."""

from __future__ import annotations

from typing import Any

from wtforms import SelectField

from forms.base import CohortForm
from forms.option_lists import PrerenderedSelect, zone_options


class ZoneChoiceForm(CohortForm):
    """Pick the zone meeting times and deadlines are shown in."""

    class Meta:
        csrf = False  # GET form; it only sets a display preference

    tz = SelectField("Show times in", validate_choice=False, widget=PrerenderedSelect())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tz.choices = zone_options(None)

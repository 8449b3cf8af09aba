"""The visitor's time-zone selector on public pages (a GET form: it changes no data)."""

from __future__ import annotations

from typing import Any

from wtforms import SelectField

from cohort.schedule import zone_names
from forms.application import options
from forms.base import CohortForm


class ZoneChoiceForm(CohortForm):
    """Pick the zone meeting times and deadlines are shown in."""

    class Meta:
        csrf = False  # GET form; it only sets a display preference

    tz = SelectField("Show times in", validate_choice=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tz.choices = options([(z, z.replace("_", " ")) for z in zone_names()])

"""Long option lists (countries, time zones), and radio buttons, rendered to HTML once per process.

The application form alone offers 775 `<option>`s; drawing each through WTForms on every request
was most of the cost of the form page. An `OptionList` keeps its choices and their HTML (made by
WTForms' own `Select.render_option`, so the markup is WTForms'), and `PrerenderedSelect` splices
the one selected option into that HTML. The output is byte for byte what WTForms' `Select`
renders for the same field (a test compares them).

`radio_options` does the same for a radio field's buttons: drawing each through WTForms (a
subfield bound per choice, then its input and label) was most of the cost of the application
form's radios; the same buttons with the same one checked are drawn once per process.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable
from functools import lru_cache
from typing import Any

from markupsafe import Markup
from wtforms import RadioField, SelectField
from wtforms.fields.choices import Choice, SelectChoice
from wtforms.widgets import RadioInput, Select, html_params

from cohort.countries import country_choices
from cohort.schedule import zone_names


def options(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs."""
    return [SelectChoice(value, text) for value, text in pairs]


_OPTION_LISTS = itertools.count(1)


class OptionList(list[SelectChoice]):
    """Choices whose `<option>` HTML is made once: unselected, and selected, for each.

    `token` tells this list from every other of the process (a key for what is drawn with it).
    """

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        super().__init__(options(pairs))
        self.token = next(_OPTION_LISTS)
        plain = [str(Select.render_option(Choice(c.value, c.label, False, c.render_kw)))
                 for c in self]
        self._selected = [str(Select.render_option(Choice(c.value, c.label, True, c.render_kw)))
                          for c in self]
        self._html = "".join(plain)
        self._starts = [0]
        for html in plain:
            self._starts.append(self._starts[-1] + len(html))
        self._index: dict[str, int] = {}
        for i, choice in enumerate(self):
            self._index.setdefault(choice.value, i)
        self._duplicates = len(self._index) != len(self)

    def rendered(self, selected: Any) -> str | None:
        """Every option, the one whose value equals `selected` marked; None if not cacheable."""
        if self._duplicates:
            return None  # several options would be selected: let WTForms draw them
        i = self._index.get(selected) if isinstance(selected, str) else None
        if i is None:
            return self._html
        return self._html[:self._starts[i]] + self._selected[i] + self._html[self._starts[i + 1]:]


class PrerenderedSelect(Select):
    """WTForms' `Select`, taking the options' HTML from an `OptionList` when the field has one."""

    def __call__(self, field: SelectField, **kwargs: Any) -> Markup:
        """The `<select>` element, exactly as `Select` would render it."""
        choices = field.choices
        body = (choices.rendered(field.data)
                if isinstance(choices, OptionList) and not self.multiple
                and getattr(field, "coerce", None) is str else None)
        if body is None:
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{body}</select>")


@lru_cache(maxsize=4)
def country_options(first: str = "Choose…") -> OptionList:
    """`first` (value '') and every ISO 3166 country, rendered once per process."""
    return OptionList([("", first), *country_choices()])


@lru_cache(maxsize=4)
def zone_options(first: str | None = "Choose…") -> OptionList:
    """Every IANA zone (spaces for underscores), after `first` (value '') unless None."""
    zones = [(z, z.replace("_", " ")) for z in zone_names()]
    return OptionList(zones if first is None else [("", first), *zones])


_RADIOS: dict[Hashable, tuple[Markup, ...]] = {}
_RADIOS_KEPT = 512  # distinct (field, checked choice) pairs kept; a handful of forms need ~30


def _drawn(field: RadioField) -> tuple[Markup, ...]:
    return tuple(Markup(f"{option()} {option.label()}") for option in field)


def radio_options(field: RadioField) -> tuple[Markup, ...]:
    """Each button of a radio field as `{{ option() }} {{ option.label() }}` draws it, in order.

    What WTForms draws depends on the field's name, id, choices (which one is checked), the flags
    its validators give (e.g. `required`) and its widget; with the same of all of these the HTML
    is the same, so it is drawn once per process. A field with extra attributes is drawn each time.
    """
    choices = tuple(field.iter_choices())
    if field.render_kw or type(field.option_widget) is not RadioInput or any(
            not isinstance(choice, Choice) or choice.render_kw for choice in choices):
        return _drawn(field)
    key = (type(field), type(field.meta), field.name, field.id,
           tuple((choice.value, choice.label, choice.selected) for choice in choices),
           tuple((type(v), tuple(sorted(getattr(v, "field_flags", {}).items())))
                 for v in field.validators))
    try:
        kept = _RADIOS.get(key)
    except TypeError:  # a value or label that cannot be a key
        return _drawn(field)
    if kept is None:
        kept = _drawn(field)
        if len(_RADIOS) < _RADIOS_KEPT:
            _RADIOS[key] = kept
    return kept

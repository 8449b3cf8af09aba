"""A pristine field's whole block (label, help, input) drawn once per process.

A field nobody has typed into yet and without errors (a form page's GET) is drawn the same
way every time: what it shows depends only on the field's definition, its default and how the
template asks for it. Drawing it through WTForms' widgets (attributes escaped and formatted
one by one) and the template's macros was most of the cost of the application form's page, so
`drawn_once` keeps the HTML of such blocks, keyed by everything that can change it. A field
with errors, with submitted data, or with a value someone could have typed is drawn each time.

Used as a call block around a macro's markup, so the markup stays in the template:

    {% call drawn_once(field, 'input', maxlength) %} …the field's markup… {% endcall %}
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from markupsafe import Markup
from wtforms import Field
from wtforms.fields.choices import SelectChoice

from forms.option_lists import OptionList

_DRAWN: dict[Hashable, Markup] = {}
_DRAWN_KEPT = 1024  # distinct blocks kept; all the service's forms have a few hundred fields


def _unchanged_by_anyone(data: Any) -> bool:
    """Values a block may be kept for: nothing typed, and few of them (no per-person values)."""
    return data is None or data == "" or data is True or data is False


def _choice_key(choice: Any) -> Hashable:
    if isinstance(choice, SelectChoice):
        return (choice.value, choice.label, tuple(sorted(choice.render_kw.items())),
                choice.optgroup)
    return tuple(choice) if isinstance(choice, tuple | list) else choice


def pristine_key(field: Field, how: tuple[Hashable, ...]) -> Hashable | None:
    """Everything the field's block depends on (`how` says which markup draws it and with what
    arguments), or None when it must be drawn each time."""
    if field.errors or getattr(field, "raw_data", None) is not None \
            or not _unchanged_by_anyone(field.data):
        return None
    choices = getattr(field, "choices", None)
    if isinstance(choices, OptionList):
        listed: Hashable = ("options", choices.token)
    elif isinstance(choices, list | tuple):
        listed = tuple(_choice_key(choice) for choice in choices)
    elif choices is None:
        listed = None
    else:  # grouped (a dict) or computed choices: drawn each time
        return None
    render_kw = field.render_kw
    key = (how, type(field), type(field.meta), field.name, field.id, field.label.text,
           field.description, field.data, listed, type(field.widget),
           tuple(sorted(vars(field.widget).items())), tuple(sorted(vars(field.flags).items())),
           tuple(sorted(render_kw.items())) if render_kw else None)
    try:
        hash(key)
    except TypeError:  # a label, attribute or choice that cannot be part of a key
        return None
    return key


def drawn_once(field: Field, *how: Hashable, caller: Callable[[], str]) -> Markup:
    """The block `caller` draws for `field` (asked for with `how`), kept while it is pristine.

    The markup's own compiled code is part of the key, so a template edited while the process
    runs (development reloads templates) is drawn afresh, and two call blocks never share.
    """
    key = pristine_key(field, (getattr(getattr(caller, "_func", None), "__code__", None), *how))
    if key is None:
        return Markup(caller())
    kept = _DRAWN.get(key)
    if kept is None:
        kept = Markup(caller())
        if len(_DRAWN) < _DRAWN_KEPT:
            _DRAWN[key] = kept
    return kept

"""Jinja filters and globals shared by pages and e-mails."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from cohort.clock import now
from cohort.countries import country_name
from cohort.invoices.owners import account_owner
from cohort.models import DOCUMENT_KIND_LABELS, Cohort
from cohort.money import Money
from cohort.schedule import duration_words, format_deadline, format_instant, local, long_date
from cohort.services.as_of import shown_cohort_state, shown_enrollment_state
from cohort.services.hub import hub_url
from forms.choices import ROLE_NAMES
from forms.option_lists import radio_options
from forms.pristine_fields import drawn_once
from workflows import CohortMachine, EnrollmentMachine


def _money(cents: int, currency: str) -> str:
    return Money(cents, currency).format()


def _money_short(cents: int, currency: str) -> str:
    return Money(cents, currency).format_short()


def _iso(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


def _date_in(instant: datetime, zone: str) -> str:
    return long_date(local(instant, zone).date())


def cohort_name(cohort: Cohort) -> str:
    """How people name a cohort: its program's title and its own, e.g. "CoP — 2024 cohort"."""
    return cohort.name


def _percent_bp(basis_points: int) -> str:
    whole, rest = divmod(int(basis_points), 100)
    return f"{whole}%" if not rest else f"{whole}.{rest:02d}".rstrip("0") + "%"


# State names as people read them: the machines' own state names, defined once there.
ENROLLMENT_STATE_LABELS = EnrollmentMachine.labels()
COHORT_STATE_LABELS = CohortMachine.labels()


def init_app(app: Flask) -> None:
    """Register filters."""
    app.jinja_env.filters.update(
        money=_money,
        money_short=_money_short,
        deadline=format_deadline,
        duration_words=duration_words,
        instant=format_instant,
        iso=_iso,
        country=country_name,
        date_in=_date_in,
        percent_bp=_percent_bp,
        cohort_name=cohort_name,
        cohort_now=lambda cohort: shown_cohort_state(cohort, now()),
        enrollment_now=lambda enrollment: shown_enrollment_state(enrollment, now()),
        enrollment_state=lambda state: ENROLLMENT_STATE_LABELS.get(state, state),
        cohort_state=lambda state: COHORT_STATE_LABELS.get(state, state),
        document_kind=lambda kind: DOCUMENT_KIND_LABELS.get(kind, kind),
        role_name=lambda role: ROLE_NAMES.get(role, role),
        owner=account_owner,
    )
    # Any page or e-mail may point to the Customer Hub without its caller passing the address.
    app.jinja_env.globals["customer_hub_url"] = hub_url
    app.jinja_env.globals["radio_options"] = radio_options
    app.jinja_env.globals["drawn_once"] = drawn_once
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

"""CSV of a cohort's applicants, for facilitators."""

from __future__ import annotations

import csv
import io

from cohort.countries import country_name
from cohort.models import Cohort, Enrollment
from cohort.schedule import local
from cohort.spreadsheet import safe_cell
from forms.choices import (
    ORGANISATION_SIZES,
    PREREQUISITES,
    ROLES,
    SECTORS,
    SOCIOCRACY_STAGES,
    label,
)

COLUMNS = [
    "id", "state", "submitted (cohort time)", "name", "e-mail", "organisation", "role", "title",
    "organisation size", "sector", "how far along", "prerequisite", "prerequisite details",
    "hopes to bring", "hopes to gain", "country", "time zone", "reviews",
]


def applicants_csv(cohort: Cohort, enrollments: list[Enrollment]) -> str:
    """One row per application with every answer and the reviews' recommendations."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for e in enrollments:
        a = e.answers
        reviews = "; ".join(f"{r.reviewer.name}: {r.recommendation}" for r in e.reviews)
        writer.writerow([safe_cell(v) for v in (
            e.id, e.state, local(e.submitted_at, cohort.time_zone).strftime("%Y-%m-%d %H:%M %Z"),
            e.person.name, e.person.email, a.organisation, label(ROLES, a.role), a.role_title,
            label(ORGANISATION_SIZES, a.organisation_size), label(SECTORS, a.sector),
            label(SOCIOCRACY_STAGES, a.sociocracy_stage), label(PREREQUISITES, a.prerequisite),
            a.prerequisite_details, a.hopes_to_bring, a.hopes_to_gain,
            country_name(e.country), e.time_zone, reviews,
        )])
    return out.getvalue()

"""The fair floor for bench/bench_http.py: a bare Flask-WTF form service doing the same exchange.

What the service does for an application, reduced to what any such service must do, with the
same libraries and nothing of ours:

- `GET /form`: a CSRF-protected Flask-WTF form of 9 fields (text, e-mail, two selects, radios,
  two text areas) drawn by Jinja into a small layout (`layout.html`: head, header, main,
  footer), each field with its label and any error beside it;
- `POST /form`: the form validated (lengths, e-mail shape, choices, CSRF), one row inserted with
  one audit row in the same transaction, committed, and a redirect (302) to `/form/done`;
- `GET /queue?cohort_id=N`: the review queue's bare floor on the service's own data: one count of
  the cohort's enrollments and one query for its first 100 (joined with the person and the
  answers, in queue order), written out as plain text lines, no template.

Served by gunicorn as `baseline_app:create_app()` with DATABASE_URL and SECRET_KEY set, beside
the service, under the same settings and on the same PostgreSQL database. The engine options
match the service's (`pool_pre_ping`), so the comparison is between the two applications.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from flask import Flask, Response, redirect, render_template, request, url_for
from flask_wtf import CSRFProtect, FlaskForm
from jinja2 import DictLoader
from sqlalchemy import Engine, ForeignKey, String, Text, create_engine, func, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from wtforms import EmailField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Email, InputRequired, Length


class Base(DeclarativeBase):
    """The floor's own metadata (two tables)."""


class Submission(Base):
    """One posted form."""

    __tablename__ = "bench_floor_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    full_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    organisation: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(30))
    organisation_size: Mapped[str] = mapped_column(String(20))
    sector: Mapped[str] = mapped_column(String(20))
    hopes_to_bring: Mapped[str] = mapped_column(Text)
    hopes_to_gain: Mapped[str] = mapped_column(Text)
    country: Mapped[str] = mapped_column(String(2))


class Audit(Base):
    """One audit row per submission."""

    __tablename__ = "bench_floor_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime]
    submission_id: Mapped[int] = mapped_column(ForeignKey("bench_floor_submissions.id"))
    event: Mapped[str] = mapped_column(String(40))


ROLES = [("ceo", "CEO"), ("executive_director", "Executive director"),
         ("board_member", "Board member"), ("general_manager", "General manager"),
         ("other", "Other")]
SIZES = [("1-9", "1–9 people"), ("10-49", "10–49 people"), ("50-249", "50–249 people"),
         ("250-999", "250–999 people"), ("1000+", "1,000 people or more")]
SECTORS = [("for_profit", "For profit"), ("not_for_profit", "Not for profit")]
COUNTRIES = [("US", "United States"), ("CA", "Canada"), ("AU", "Australia"),
             ("NZ", "New Zealand"), ("GB", "United Kingdom"), ("DE", "Germany")]


def _values(pairs: list[tuple[str, str]]) -> list[str]:
    return [value for value, _ in pairs]


class ApplicationForm(FlaskForm):
    """Nine fields with limits and messages, as a plain Flask-WTF form."""

    full_name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("E-mail address", validators=[
        DataRequired(), Length(max=254), Email(check_deliverability=False)])
    organisation = StringField("Organisation", validators=[DataRequired(), Length(max=200)])
    role = RadioField("Your role", choices=ROLES, validators=[InputRequired()])
    organisation_size = SelectField("Size of your organisation", choices=SIZES,
                                    validators=[InputRequired()])
    sector = RadioField("Your organisation is", choices=SECTORS, validators=[InputRequired()])
    hopes_to_bring = TextAreaField("What do you hope to bring?",
                                   validators=[DataRequired(), Length(min=20, max=3000)])
    hopes_to_gain = TextAreaField("What do you hope to gain?",
                                  validators=[DataRequired(), Length(min=20, max=3000)])
    country = SelectField("Country", choices=COUNTRIES,
                          validators=[AnyOf(_values(COUNTRIES))])


TEMPLATES = {
    "layout.html": """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}{% endblock %} — Floor</title></head>
<body>
<header><a href="{{ url_for('form') }}">Floor</a></header>
<main>{% block content %}{% endblock %}</main>
<footer><p>A bare Flask-WTF service.</p></footer>
</body>
</html>
""",
    "form.html": """{% extends "layout.html" %}
{% macro field_row(field) %}
  <div class="field">{{ field.label() }}
    {% if field.errors %}<p class="error">{{ field.errors | join(' ') }}</p>{% endif %}
    {{ field() }}</div>
{% endmacro %}
{% block title %}Apply{% endblock %}
{% block content %}
<h1>Apply</h1>
<form method="post" novalidate>
  {{ form.csrf_token }}
  {{ field_row(form.full_name) }}
  {{ field_row(form.email) }}
  {{ field_row(form.organisation) }}
  <fieldset><legend>{{ form.role.label.text }}</legend>
    {% for option in form.role %}<div>{{ option() }} {{ option.label() }}</div>{% endfor %}
  </fieldset>
  {{ field_row(form.organisation_size) }}
  <fieldset><legend>{{ form.sector.label.text }}</legend>
    {% for option in form.sector %}<div>{{ option() }} {{ option.label() }}</div>{% endfor %}
  </fieldset>
  {{ field_row(form.hopes_to_bring) }}
  {{ field_row(form.hopes_to_gain) }}
  {{ field_row(form.country) }}
  <button type="submit">Send</button>
</form>
{% endblock %}
""",
    "done.html": """{% extends "layout.html" %}
{% block title %}Thank you{% endblock %}
{% block content %}<h1>Thank you</h1>{% endblock %}
""",
}

QUEUE_PAGE = text("""
    SELECT e.id, p.name, a.organisation, e.state, e.submitted_at
    FROM enrollments e JOIN people p ON p.id = e.person_id
    JOIN application_answers a ON a.enrollment_id = e.id
    WHERE e.cohort_id = :cohort_id
    ORDER BY e.submitted_at, e.id
    LIMIT 100
""")
QUEUE_COUNT = text("SELECT count(*) FROM enrollments WHERE cohort_id = :cohort_id")


def engine_for(url: str) -> Engine:
    """An engine configured as the service configures its own."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True)


def create_app(database_url: str | None = None, secret_key: str | None = None) -> Flask:
    """The floor on DATABASE_URL (its tables must exist: see `Base.metadata`)."""
    engine = engine_for(database_url or os.environ["DATABASE_URL"])
    app = Flask(__name__)
    app.config["SECRET_KEY"] = secret_key or os.environ["SECRET_KEY"]
    app.jinja_loader = DictLoader(TEMPLATES)
    CSRFProtect(app)

    @app.route("/form", methods=["GET", "POST"])
    def form() -> Response | tuple[str, int] | str:
        """The form; a valid post stores one row and one audit row, then redirects."""
        posted = ApplicationForm()
        if posted.validate_on_submit():
            now = datetime.now(UTC)
            with Session(engine) as session, session.begin():
                row = Submission(created_at=now, **{
                    name: getattr(posted, name).data for name in (
                        "full_name", "email", "organisation", "role", "organisation_size",
                        "sector", "hopes_to_bring", "hopes_to_gain", "country")})
                session.add(row)
                session.flush()
                session.add(Audit(occurred_at=now, submission_id=row.id, event="submit"))
            return redirect(url_for("done"))
        status = 422 if posted.is_submitted() else 200
        return render_template("form.html", form=posted), status

    @app.get("/form/done")
    def done() -> str:
        """The confirmation page."""
        return render_template("done.html")

    @app.get("/queue")
    def queue() -> Response:
        """A count and the first 100 rows of a cohort's enrollments, as text."""
        cohort_id = int(request.args.get("cohort_id", "0"))
        with engine.connect() as conn:
            total = conn.scalar(QUEUE_COUNT, {"cohort_id": cohort_id})
            rows = conn.execute(QUEUE_PAGE, {"cohort_id": cohort_id}).all()
        lines = [f"{total} applications"] + ["\t".join(map(str, row)) for row in rows]
        return Response("\n".join(lines), mimetype="text/plain")

    @app.get("/rows")
    def rows() -> Response:
        """How many rows the floor has stored (a check, not measured)."""
        with Session(engine) as session:
            stored = session.scalar(select(func.count()).select_from(Submission))
            audited = session.scalar(select(func.count()).select_from(Audit))
        return Response(f"{stored} {audited}", mimetype="text/plain")

    return app

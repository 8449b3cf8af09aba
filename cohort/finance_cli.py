"""`flask --app app finance export (--cohort SLUG | --community SLUG) --out PATH [--from --to]`."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from cohort.clock import now
from cohort.extensions import db
from cohort.invoices.export import documents_csv, export_zip
from cohort.models import Cohort, Community
from cohort.services.finance import DocumentFilter, document_report

group = AppGroup("finance", help="Finance exports.")


def _day(value: str | None, zone: ZoneInfo, *, after: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2024-01-31") from None
    return datetime.combine(day + timedelta(days=1 if after else 0), time(0), tzinfo=zone)


@group.command("export")
@click.option("--cohort", "slug", default=None, help="The cohort's address, e.g. cop-2024.")
@click.option("--community", "community_slug", default=None,
              help="Or a community's address: its members' invoices, receipts, credit notes.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The ZIP to write (PDFs and documents.csv).")
@click.option("--from", "start", default=None, help="Issued on or after this day (YYYY-MM-DD).")
@click.option("--to", "end", default=None, help="Issued on or before this day (YYYY-MM-DD).")
@click.option("--paper", type=click.Choice(["A4", "Letter"]), default="A4")
def export_command(slug: str | None, community_slug: str | None, out: Path, start: str | None,
                   end: str | None, paper: str) -> None:
    """Every document of a cohort (or a community) as PDFs plus the accountant's CSV, in a ZIP."""
    if (slug is None) == (community_slug is None):
        raise click.UsageError("Give either --cohort or --community.")
    owner: Cohort | Community | None
    if slug is not None:
        owner = db.session.scalars(select(Cohort).where(Cohort.slug == slug)).one_or_none()
    else:
        owner = db.session.scalars(
            select(Community).where(Community.slug == community_slug)).one_or_none()
    if owner is None:
        raise click.ClickException(f"There is no {'cohort' if slug else 'community'} "
                                   f"{slug or community_slug!r}.")
    zone = ZoneInfo(owner.time_zone)
    wanted = DocumentFilter(cohort=slug or "", community=community_slug or "",
                            issued_from=_day(start, zone), issued_to=_day(end, zone, after=True))
    rows = document_report(db.session, wanted, now()).rows
    csv_text = documents_csv(rows)
    db.session.rollback()  # PDFs are read (and any missing one stored) without the write lock
    with click.progressbar(length=len(rows), label=f"Writing {len(rows)} PDFs") as bar:
        count = export_zip(db.session, [r.document.id for r in rows], out, csv_text=csv_text,
                           paper=paper, progress=bar.update)
    click.echo(f"Wrote {count} documents and documents.csv to {out}")


def init_app(app: Flask) -> None:
    """Register the command group."""
    app.cli.add_command(group)

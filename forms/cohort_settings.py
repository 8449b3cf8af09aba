"""The admin's cohort settings form; amounts in the cohort's currency, times in its zone."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from cohort.cohort_terms import REFUND_RULES, CohortSettings
from cohort.countries import is_country
from cohort.schedule import Region, ZoneLabel, is_zone, zone_city
from forms.base import CohortForm
from forms.numbers import WholeNumberField, parse_basis_points, parse_cents
from forms.option_lists import options

MAX_REGION_TEXT = 3000
MAX_REGION_LINES = 20
MAX_REGION_WORDS = 60  # characters in a region's, zone's or city's name
MEETING_LINE = re.compile(r"^\s*([0-9]{4}-[0-9]{2}-[0-9]{2})[ T]([0-9]{1,2}:[0-9]{2})\s*$")


def _money_field(label: str) -> StringField:
    return StringField(label, validators=[DataRequired(message="Please give an amount."),
                                          Length(max=20, message="Please give an amount.")])


def _deadline_field(label: str) -> DateTimeLocalField:
    return DateTimeLocalField(label, format="%Y-%m-%dT%H:%M", validators=[
        InputRequired(message="Please give a date and time.")])


def _refund_field(label: str) -> SelectField:
    return SelectField(label, choices=options(list(REFUND_RULES.items())))


class CohortSettingsForm(CohortForm):
    """Everything an admin may change on a cohort."""

    title = StringField("Title (the dates as people read them)", validators=[
        DataRequired(message="Please give a title."), Length(max=200, message="At most 200.")])
    capacity = WholeNumberField("Seats", validators=[
        InputRequired(message="Please give the number of seats."),
        NumberRange(min=1, max=1000, message="Between 1 and 1,000 seats.")])
    minimum_participants = WholeNumberField("Minimum to go ahead", validators=[
        InputRequired(message="Please give the minimum."),
        NumberRange(min=1, max=1000, message="Between 1 and 1,000.")])
    price = _money_field("Price")
    deposit = _money_field("Deposit")
    applications_close_at = _deadline_field("Applications close")
    cancellation_deadline_at = _deadline_field("Cancellation deadline")
    registration_deadline_at = _deadline_field("Registration and deposit deadline")
    meetings = TextAreaField("Meetings: one start per line, “YYYY-MM-DD HH:MM”, cohort's zone",
                             validators=[DataRequired(message="Please list the meetings."),
                                         Length(max=2000, message="At most 2,000 characters.")])
    meeting_minutes = WholeNumberField("Length of each meeting (minutes)", validators=[
        InputRequired(message="Please give the length."),
        NumberRange(min=15, max=720, message="Between 15 and 720 minutes.")])
    policy_text = TextAreaField("Cancellation policy (shown on the registration form)",
                                validators=[DataRequired(message="Please give the policy."),
                                            Length(max=5000, message="At most 5,000 characters.")])
    refund_before_deadline = _refund_field("Refund until the cancellation deadline")
    refund_before_start = _refund_field("Refund after it, until the first meeting")
    refund_after_start = _refund_field("Refund once the first meeting has started")
    rebate_countries = StringField("Rebate countries (ISO codes, e.g. CA, AU, NZ; empty: none)",
                                   validators=[Length(max=200, message="At most 200 characters.")])
    rebate_percent = StringField("Rebate (%)", validators=[Length(max=6, message="E.g. 25.")])
    regions = TextAreaField(
        "Schedule blocks: one zone per line, “Region | Zone | Name | City”",
        description="E.g. “Americas | America/New_York | USA Eastern Time | New York”. Lines "
                    "with the same region form one block on the cohort page; the name given to "
                    "the cohort's own zone is how pages and e-mails name it. Empty: one block "
                    "in the cohort's zone.",
        validators=[Length(max=MAX_REGION_TEXT,
                           message=f"At most {MAX_REGION_TEXT:,} characters.")])

    def __init__(self, *args: Any, zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone

    def _local(self, value: datetime) -> datetime:
        return value.replace(tzinfo=ZoneInfo(self.zone))

    def validate_price(self, field: StringField) -> None:
        """An amount in the cohort's currency, with at most two decimals."""
        try:
            parse_cents(field.data or "")
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    validate_deposit = validate_price

    def validate_meetings(self, field: TextAreaField) -> None:
        """Each line a date and time."""
        for number, line in enumerate((field.data or "").splitlines(), start=1):
            if line.strip() and not MEETING_LINE.match(line):
                raise ValidationError(f"Line {number} is not “YYYY-MM-DD HH:MM”.")
            if line.strip():
                try:
                    datetime.strptime(" ".join(MEETING_LINE.match(line).groups()), "%Y-%m-%d %H:%M")
                except ValueError:
                    raise ValidationError(f"Line {number} is not a real date and time.") from None

    def validate_rebate_countries(self, field: StringField) -> None:
        """ISO 3166 alpha-2 codes."""
        for code in self._codes():
            if not is_country(code):
                raise ValidationError(f"“{code}” is not an ISO country code.")

    def validate_rebate_percent(self, field: StringField) -> None:
        """0 to 100 with at most two decimals."""
        text = (field.data or "").strip()
        if text:
            try:
                parse_basis_points(text)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None

    def validate_regions(self, field: TextAreaField) -> None:
        """Each line a region, a known zone and, optionally, its name and city."""
        lines = [line for line in (field.data or "").splitlines() if line.strip()]
        if len(lines) > MAX_REGION_LINES:
            raise ValidationError(f"At most {MAX_REGION_LINES} zones.")
        for number, line in enumerate(lines, start=1):
            parts = [part.strip() for part in line.split("|")]
            if not 2 <= len(parts) <= 4 or not parts[0]:
                raise ValidationError(f"Line {number} is not “Region | Zone | Name | City”.")
            if not is_zone(parts[1]):
                raise ValidationError(f"Line {number}: “{parts[1][:64]}” is not a time zone "
                                      "such as Europe/Berlin.")
            if any(len(part) > MAX_REGION_WORDS for part in parts):
                raise ValidationError(f"Line {number}: keep each part under "
                                      f"{MAX_REGION_WORDS} characters.")

    def _regions(self) -> tuple[Region, ...]:
        blocks: dict[str, list[ZoneLabel]] = {}
        for line in (self.regions.data or "").splitlines():
            if line.strip():
                region, zone, *rest = [part.strip() for part in line.split("|")]
                name, city = [*rest, "", ""][:2]
                blocks.setdefault(region, []).append(ZoneLabel(
                    zone, name or f"{zone_city(zone)} time", city or zone_city(zone)))
        return tuple(Region(region, tuple(zones)) for region, zones in blocks.items())

    def _codes(self) -> tuple[str, ...]:
        raw = (self.rebate_countries.data or "").replace(";", ",")
        return tuple(c.strip().upper() for c in raw.split(",") if c.strip())

    def to_settings(self) -> CohortSettings:
        """The validated form as settings, instants in UTC."""
        starts = tuple(
            self._local(datetime.strptime(" ".join(MEETING_LINE.match(line).groups()),
                                          "%Y-%m-%d %H:%M"))
            for line in (self.meetings.data or "").splitlines() if line.strip()
        )
        percent = (self.rebate_percent.data or "").strip()
        return CohortSettings(
            title=self.title.data.strip(), capacity=self.capacity.data,
            minimum_participants=self.minimum_participants.data,
            price_cents=parse_cents(self.price.data), deposit_cents=parse_cents(self.deposit.data),
            applications_close_at=self._local(self.applications_close_at.data),
            cancellation_deadline_at=self._local(self.cancellation_deadline_at.data),
            registration_deadline_at=self._local(self.registration_deadline_at.data),
            meeting_starts=starts, meeting_minutes=self.meeting_minutes.data,
            policy_text=self.policy_text.data.strip(),
            refund_before_deadline=self.refund_before_deadline.data,
            refund_before_start=self.refund_before_start.data,
            refund_after_start=self.refund_after_start.data,
            rebate_countries=self._codes(),
            rebate_basis_points=parse_basis_points(percent) if percent else 0,
            regions=self._regions(),
        )

    def fill(self, settings: CohortSettings) -> None:
        """Show existing settings (times in the cohort's zone)."""
        zone = ZoneInfo(self.zone)

        def wall(instant: datetime) -> datetime:
            return instant.astimezone(zone).replace(tzinfo=None)

        self.title.data = settings.title
        self.capacity.data = settings.capacity
        self.minimum_participants.data = settings.minimum_participants
        self.price.data = f"{settings.price_cents / 100:,.2f}"
        self.deposit.data = f"{settings.deposit_cents / 100:,.2f}"
        self.applications_close_at.data = wall(settings.applications_close_at)
        self.cancellation_deadline_at.data = wall(settings.cancellation_deadline_at)
        self.registration_deadline_at.data = wall(settings.registration_deadline_at)
        self.meetings.data = "\n".join(f"{wall(s):%Y-%m-%d %H:%M}" for s in settings.meeting_starts)
        self.meeting_minutes.data = settings.meeting_minutes
        self.policy_text.data = settings.policy_text
        self.refund_before_deadline.data = settings.refund_before_deadline
        self.refund_before_start.data = settings.refund_before_start
        self.refund_after_start.data = settings.refund_after_start
        self.rebate_countries.data = ", ".join(settings.rebate_countries)
        bp = settings.rebate_basis_points
        self.rebate_percent.data = f"{bp // 100}" if bp % 100 == 0 else f"{bp / 100:.2f}"
        self.regions.data = "\n".join(f"{region.name} | {z.zone} | {z.generic} | {z.city}"
                                      for region in settings.regions for z in region.zones)

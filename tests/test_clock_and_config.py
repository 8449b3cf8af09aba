"""The clock (COHORT_NOW) and configuration from an explicit environment mapping."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cohort.clock import Clock, ClockError, parse_instant
from cohort.config import ConfigError, load_config

JAN_10_NOON_PACIFIC = datetime(2024, 1, 10, 20, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2024-01-10T12:00:00", "2024-01-10", "2024-01-10 12:00"])
def test_parse_instant_refuses_a_naive_time(text):
    with pytest.raises(ClockError, match="offset"):
        parse_instant(text)


@pytest.mark.parametrize("text", ["", "yesterday", "2024-13-40T00:00:00Z"])
def test_parse_instant_refuses_text_that_is_not_an_instant(text):
    with pytest.raises(ClockError):
        parse_instant(text)


def test_parse_instant_accepts_z_as_utc():
    value = parse_instant("2024-01-10T20:00:00Z")
    assert value == JAN_10_NOON_PACIFIC
    assert value.utcoffset() == timedelta(0)


def test_parse_instant_converts_an_offset_to_utc():
    value = parse_instant(" 2024-01-10T12:00:00-08:00 ")
    assert value == JAN_10_NOON_PACIFIC
    assert value.tzinfo is UTC
    assert (value.hour, value.day) == (20, 10)


def test_frozen_clock_returns_the_same_instant_in_utc():
    clock = Clock(datetime(2024, 1, 10, 12, 0, tzinfo=ZoneInfo("America/Los_Angeles")))
    first, second = clock.now(), clock.now()
    assert first == second == JAN_10_NOON_PACIFIC
    assert first.tzinfo is UTC


def test_clock_from_setting_freezes_at_the_setting():
    clock = Clock.from_setting("2024-01-10T12:00:00-08:00")
    assert clock.now() == JAN_10_NOON_PACIFIC
    assert clock.now() == clock.now()


def test_clock_refuses_a_naive_frozen_instant():
    with pytest.raises(ClockError):
        Clock(datetime(2024, 1, 10, 12, 0))


@pytest.mark.parametrize("setting", [None, ""])
def test_clock_from_empty_setting_follows_real_time(setting):
    clock = Clock.from_setting(setting)
    before = datetime.now(UTC)
    first = clock.now()
    second = clock.now()
    after = datetime.now(UTC)
    assert before <= first <= second <= after
    assert first.tzinfo is UTC and second.tzinfo is UTC
    assert clock.frozen_at is None


def test_production_without_secret_key_refuses_to_start(tmp_path: Path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(str(tmp_path), {"COHORT_ENV": "production"})


def test_production_is_the_default_environment(tmp_path: Path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(str(tmp_path), {})
    config = load_config(str(tmp_path), {"SECRET_KEY": "s3cret"})
    assert config["COHORT_ENV"] == "production"
    assert config["SESSION_COOKIE_SECURE"] is True


def test_development_supplies_a_secret_key(tmp_path: Path):
    config = load_config(str(tmp_path), {"COHORT_ENV": "development"})
    assert config["SECRET_KEY"]
    assert config["COHORT_ENV"] == "development"


def test_a_given_secret_key_is_used(tmp_path: Path):
    config = load_config(str(tmp_path), {"COHORT_ENV": "production", "SECRET_KEY": "s3cret"})
    assert config["SECRET_KEY"] == "s3cret"


@pytest.mark.parametrize("name", ["staging", "prod", "dev"])
def test_an_unknown_environment_refuses_to_start(tmp_path: Path, name):
    with pytest.raises(ConfigError, match="COHORT_ENV"):
        load_config(str(tmp_path), {"COHORT_ENV": name, "SECRET_KEY": "s3cret"})


@pytest.mark.parametrize(("given", "expected"), [
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
])
def test_database_url_uses_the_psycopg_driver(tmp_path: Path, given, expected):
    config = load_config(str(tmp_path), {"COHORT_ENV": "development", "DATABASE_URL": given})
    assert config["SQLALCHEMY_DATABASE_URI"] == expected


def test_default_database_is_a_sqlite_file_in_the_instance_folder(tmp_path: Path):
    config = load_config(str(tmp_path), {"COHORT_ENV": "development"})
    uri = config["SQLALCHEMY_DATABASE_URI"]
    assert uri.startswith("sqlite:///")
    path = Path(uri.removeprefix("sqlite:///"))
    assert path.parent == tmp_path
    assert path.suffix == ".sqlite3"


def test_development_without_mail_server_shows_mail_in_the_app(tmp_path: Path):
    config = load_config(str(tmp_path), {"COHORT_ENV": "development"})
    assert config["MAIL_SHOW_IN_APP"] is True


def test_development_with_mail_server_sends_mail_instead(tmp_path: Path):
    config = load_config(str(tmp_path), {"COHORT_ENV": "development",
                                         "MAIL_SERVER": "smtp.example.org"})
    assert config["MAIL_SHOW_IN_APP"] is False
    assert config["MAIL_SERVER"] == "smtp.example.org"


def test_production_never_shows_mail_in_the_app(tmp_path: Path):
    config = load_config(str(tmp_path), {"COHORT_ENV": "production", "SECRET_KEY": "s3cret"})
    assert config["MAIL_SHOW_IN_APP"] is False


def test_cohort_now_setting_is_passed_through_or_none(tmp_path: Path):
    frozen = load_config(str(tmp_path), {"COHORT_ENV": "development",
                                         "COHORT_NOW": "2024-01-10T12:00:00-08:00"})
    assert frozen["COHORT_NOW"] == "2024-01-10T12:00:00-08:00"
    assert load_config(str(tmp_path), {"COHORT_ENV": "development"})["COHORT_NOW"] is None


def test_a_mail_port_that_is_not_a_number_is_a_config_error():
    with pytest.raises(ConfigError, match="MAIL_PORT"):
        load_config("/tmp/instance", {"COHORT_ENV": "development", "MAIL_PORT": "smtp"})


@pytest.mark.parametrize("text", ["yesterday", "2024-01-10T12:00:00"])
def test_a_malformed_clock_setting_is_a_configuration_error_naming_it(tmp_path: Path, text):
    with pytest.raises(ConfigError, match=r"^COHORT_NOW: "):
        load_config(str(tmp_path), {"COHORT_ENV": "development", "COHORT_NOW": text})

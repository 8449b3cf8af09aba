"""Commands: `flask --app app cohort seed-demo | tick | worker | deliver-mail`."""

from __future__ import annotations

import logging
import os
import signal
import socket
from types import FrameType

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from cohort.auth.demo import seed_demo_staff
from cohort.clock import now
from cohort.demo import seed_demo
from cohort.demo_community_text import SLUG as COMMUNITY_SLUG
from cohort.extensions import db
from cohort.mail.delivery import deliver_due
from cohort.mail.settings import smtp_settings
from cohort.models import WorkerHeartbeat
from cohort.payments.devserver import register_localstripe_webhook
from cohort.services.state_counts import fold_everything
from cohort.timekeeping import tick
from cohort.worker.loop import Worker
from cohort.worker.turns import job_turn

group = AppGroup("cohort", help="Cohort's own commands.")


@group.command("seed-demo")
def seed_demo_command() -> None:
    """Create the demo program and cohorts from the seed (safe to run again)."""
    cohorts = seed_demo(db.session, now())
    db.session.commit()
    for cohort in cohorts:
        click.echo(f"cohort {cohort.slug}: {cohort.title} ({cohort.state})")
    click.echo(f"community {COMMUNITY_SLUG}: /communities/{COMMUNITY_SLUG} "
               "(its prices are demo values)")
    if current_app.config["COHORT_ENV"] == "development":
        accounts = seed_demo_staff(db.session, now())
        db.session.commit()
        click.echo("demo staff accounts (development only), sign in at /staff/login:")
        for account, created in accounts:
            note = "created" if created else "already there"
            click.echo(f"  {account.role:<11} {account.email:<28} password "
                       f"{account.password:<22} ({note})")


@group.command("tick")
def tick_command() -> None:
    """Apply what time implies: close applications, lapse places, rebates, retry mail."""
    moment = now()
    holder = f"tick:{socket.gethostname()}:{os.getpid()}"
    with job_turn(db.session, "tick", holder, moment) as mine:
        if not mine:
            click.echo("another tick is running; this one did nothing")
            return
        report = tick(db.session, moment, smtp_settings(),
                      current_app.extensions.get("cohort.stripe"))
    fold_everything(db.session)  # what the worker does each round, for cron set-ups
    click.echo(report.summary())


@group.command("worker")
@click.option("--poll", type=click.FloatRange(0.05, 60), default=1.0, show_default=True,
              help="Seconds to wait when there is nothing to send.")
@click.option("--no-tick", is_flag=True, help="Only deliver mail (the tick runs elsewhere).")
def worker_command(poll: float, no_tick: bool) -> None:
    """Deliver mail as it is queued and run the tick every minute, until SIGTERM or SIGINT."""
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    db.session.scalar(select(func.count()).select_from(WorkerHeartbeat))  # migrated? else say so
    db.session.rollback()
    worker = Worker(current_app._get_current_object(), poll=poll, ticks=not no_tick)

    def stop(signum: int, frame: FrameType | None) -> None:
        logging.getLogger(__name__).info("%s: stopping after the work in hand",
                                         signal.Signals(signum).name)
        worker.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    worker.run()


@group.command("deliver-mail")
def deliver_mail_command() -> None:
    """Send queued e-mail now."""
    settings = smtp_settings()
    if settings is None:
        raise click.ClickException("MAIL_SERVER is not set; queued mail is shown at /dev/mail")
    sent, failed = deliver_due(db.session, settings, now())
    click.echo(f"sent {sent}, failed {failed}")


@group.command("stripe-dev-webhook")
def stripe_dev_webhook_command() -> None:
    """Point localstripe's webhooks at this service (development with STRIPE_API_BASE)."""
    config = current_app.config
    if not config["STRIPE_API_BASE"] or not config["STRIPE_WEBHOOK_SECRET"]:
        raise click.ClickException("STRIPE_API_BASE and STRIPE_WEBHOOK_SECRET must be set")
    url = f"{config['BASE_URL']}/stripe/webhook"
    register_localstripe_webhook(config["STRIPE_API_BASE"], config["STRIPE_SECRET_KEY"], url,
                                 config["STRIPE_WEBHOOK_SECRET"])
    click.echo(f"localstripe at {config['STRIPE_API_BASE']} sends signed webhooks to {url}")


def init_app(app: Flask) -> None:
    """Register the command group."""
    app.cli.add_command(group)

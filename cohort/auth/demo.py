"""Demo staff accounts for `cohort seed-demo` in development only; their passwords are public."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from cohort.auth.services import create_staff_user, staff_user_by_email


@dataclass(frozen=True)
class DemoAccount:
    """A development account, documented in the README and printed by `seed-demo`."""

    email: str
    name: str
    role: str
    password: str


DEMO_ACCOUNTS = (
    DemoAccount("evan.miller@example.org", "Evan Miller", "facilitator", "demo-password-evan"),
    DemoAccount("sheella.mierson@example.org", "Sheella Mierson", "facilitator",
                "demo-password-sheella"),
    DemoAccount("finance@example.org", "Finance Desk", "finance", "demo-password-finance"),
    DemoAccount("admin@example.org", "Site Admin", "admin", "demo-password-admin"),
)


def seed_demo_staff(session: Session, now: datetime) -> list[tuple[DemoAccount, bool]]:
    """Create the demo accounts that do not exist yet; each with True when created now."""
    results = []
    for account in DEMO_ACCOUNTS:
        created = staff_user_by_email(session, account.email) is None
        if created:
            create_staff_user(session, account.email, account.name, account.role,
                              account.password, now)
        results.append((account, created))
    return results

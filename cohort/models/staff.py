"""Staff accounts (facilitators, finance, administrators) and the record of sign-in attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from cohort.models.base import Base, UTCInstant

STAFF_ROLES = ("facilitator", "finance", "admin")


class StaffUser(Base):
    """Someone who runs the service; implements the interface Flask-Login expects of a user."""

    __tablename__ = "staff_users"
    __table_args__ = (
        CheckConstraint("role IN ('facilitator', 'finance', 'admin')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    email_normalized: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCInstant())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCInstant(), nullable=True)
    # Part of every session's user id: raising it ends every session (sign-out, new password).
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")

    @property
    def is_active(self) -> bool:
        """Deactivated accounts cannot sign in."""
        return self.active

    @property
    def is_authenticated(self) -> bool:
        """A loaded staff user is signed in (Flask-Login interface)."""
        return self.active

    @property
    def is_anonymous(self) -> bool:
        """Never anonymous (Flask-Login interface)."""
        return False

    def get_id(self) -> str:
        """The identifier kept in the session: the id and the session version ("7:3")."""
        return f"{self.id}:{self.session_version}"

    def has_role(self, *roles: str) -> bool:
        """True when the user holds one of `roles`; administrators hold every role."""
        return self.role == "admin" or self.role in roles


class LoginAttempt(Base):
    """One sign-in attempt, kept to throttle password guessing per account and per address."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_account", "email_normalized", "occurred_at"),
        Index("ix_login_attempts_address", "remote_addr", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCInstant())
    email_normalized: Mapped[str] = mapped_column(String(254))
    remote_addr: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column()

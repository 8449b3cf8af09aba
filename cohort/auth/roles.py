"""Who may open which staff page: `role_required`, and the signed-in user for Flask-Login."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort
from flask_login import current_user

from cohort.extensions import db, login_manager
from cohort.models import STAFF_ROLES, StaffUser

ROLES: tuple[str, ...] = STAFF_ROLES

ROLE_LABELS = {"facilitator": "Facilitator", "finance": "Finance", "admin": "Administrator"}

View = TypeVar("View", bound=Callable[..., Any])


def load_user(user_id: str) -> StaffUser | None:
    """Flask-Login's user loader: the active staff user kept in the session, if any.

    The session holds "id:version"; a session whose version is not the account's current one
    (signed out elsewhere, password changed, deactivated) opens nothing.
    """
    account = (user_id or "").partition(":")[0]
    if not (account.isascii() and account.isdigit() and len(account) < 19):
        return None
    user = db.session.get(StaffUser, int(account))
    if user is None or not user.active or user.get_id() != user_id:
        return None
    return user


def _plural(role: str) -> str:
    return "finance" if role == "finance" else ROLE_LABELS[role].lower() + "s"


def role_required(*roles: str) -> Callable[[View], View]:
    """Let a view through only for signed-in staff with one of `roles` (admins always pass).

    Anonymous visitors are sent to the sign-in page with `next` set to this page; signed-in staff
    without the role get a 403 that says who the page is for.
    """
    unknown = [role for role in roles if role not in ROLES]
    if not roles or unknown:
        raise ValueError(f"role_required needs roles among {', '.join(ROLES)}, not {unknown}")

    def decorator(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                who = " and ".join(_plural(role) for role in roles)
                abort(403, description=(
                    f"This page is for {who}. You are signed in as {current_user.name} "
                    f"({ROLE_LABELS[current_user.role]}). Ask an administrator if you need it."))
            return view(*args, **kwargs)

        return cast(View, guarded)

    return decorator

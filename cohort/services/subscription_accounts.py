"""Who subscribes: the person found by address (never changed), made from what was typed.

Concurrent requests for the same address meet at the unique address key: the insert that loses
runs in a savepoint, which alone is rolled back, and the winner's row is read instead.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cohort.models import Person


def get_or_insert_person(session: Session, address: str, key: str, name: str,
                         now: datetime) -> Person:
    """The person with this address key; a new one from what was typed (a known one unchanged)."""
    def read() -> Person | None:
        return session.scalars(select(Person).where(Person.email_normalized == key)).first()

    found = read()
    if found is not None:
        return found
    try:
        with session.begin_nested():
            person = Person(email=address, email_normalized=key, name=name, created_at=now)
            session.add(person)
            session.flush()
        return person
    except IntegrityError:
        found = read()
        if found is None:
            raise
        return found

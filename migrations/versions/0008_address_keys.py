"""address keys: NFKC + case folding, ASCII spellings where one exists

Revision ID: 0008_address_keys
Revises: 0007_queue_index
Create Date: 2026-12-01 14:00:00

People and staff accounts were told apart by NFKC + lower-case, and the spelling typed was kept
as typed (full-width letters, upper-case domains). Recompute both as `cohort/addresses.py` now
does. A row whose new key another row already has keeps its old key and spelling (two people
can never merge silently); no schema change.
"""
import unicodedata

import sqlalchemy as sa
from alembic import op
from email_validator import EmailNotValidError, validate_email

# revision identifiers, used by Alembic.
revision = '0008_address_keys'
down_revision = '0007_queue_index'
branch_labels = None
depends_on = None


def _spelling(typed):
    text = unicodedata.normalize("NFKC", typed).strip()
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return text
    return checked.ascii_email or checked.normalized


def _rekey(table):
    bind = op.get_bind()
    rows = bind.execute(sa.text(f"SELECT id, email, email_normalized FROM {table} ORDER BY id"))
    rows = list(rows)
    taken = {key for _, _, key in rows}
    for row_id, email, key in rows:
        spelling = _spelling(email)
        new_key = unicodedata.normalize("NFKC", spelling.casefold())
        if (spelling, new_key) == (email, key) or (new_key != key and new_key in taken):
            continue
        taken.discard(key)
        taken.add(new_key)
        bind.execute(sa.text(f"UPDATE {table} SET email = :email, email_normalized = :key "
                             "WHERE id = :id"), {"email": spelling, "key": new_key, "id": row_id})


def upgrade():
    for table in ("people", "staff_users"):
        _rekey(table)


def downgrade():
    pass  # the old keys are a subset of what the new ones tell apart; nothing to undo

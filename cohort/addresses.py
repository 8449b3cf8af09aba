"""E-mail addresses: the spelling kept and mailed to, and the key people are told apart by.

What someone types is first put in Unicode NFKC form, so full-width or otherwise "compatible"
letters become the plain ones (`ｖｉｃｔｉｍ@example.org` is `victim@example.org`). The spelling
kept and mailed to is that text with the domain lower-cased and, whenever the local part is ASCII,
the domain in its ASCII (IDNA) form: a relay without SMTPUTF8 accepts it. Only a local part that
really is non-ASCII keeps its Unicode. Two spellings are the same address when their keys are equal:
the kept spelling case-folded (then NFKC again, as case folding may leave other forms).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

#: The longest address there can be (RFC 5321's limit on a path).
EMAIL_MAX_LENGTH = 254


@lru_cache(maxsize=1024)  # an application asks three times (form check, spelling, key)
def mailing_address(typed: str) -> str:
    """The spelling of `typed` to store and to send mail to (ASCII whenever one exists)."""
    text = unicodedata.normalize("NFKC", typed).strip()
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return text  # not an address: callers that need one have refused it already
    return checked.ascii_email or checked.normalized


def address_key(address: str) -> str:
    """The key two spellings of one address share: NFKC, trimmed, IDNA domain, case-folded."""
    return unicodedata.normalize("NFKC", mailing_address(address).casefold())

"""Password hashing with Argon2id (argon2-cffi); hashes carry their own parameters."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An Argon2id hash of `password` with the current parameters and a fresh salt."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches `password_hash`; never raises for a wrong or broken hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than today's (rehash at next sign-in)."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@cache
def _throwaway_hash() -> str:
    return hash_password("not a real password; only spends the time of a verification")


def spend_verification_time(password: str) -> None:
    """Verify against a throwaway hash, so an unknown account costs as much time as a known one."""
    verify_password(_throwaway_hash(), password)

"""Argon2id password hashing, with the parameters from config and rehash on login."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

# OWASP's first choice is Argon2id with at least 19 MiB, t=2, p=1; we use more memory.
DEFAULT_PARAMS = {"time_cost": 2, "memory_cost": 47104, "parallelism": 1}
MIN_PASSWORD_LENGTH = 10


def _hasher() -> PasswordHasher:
    return PasswordHasher(**current_app.config.get("ARGON2_PARAMS", DEFAULT_PARAMS))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> tuple[bool, str | None]:
    """(matches, new_hash): new_hash is set when the stored hash used older parameters."""
    hasher = _hasher()
    if stored_hash is None:
        # Verify against a stand-in hash all the same, so that an unknown account costs the
        # same time as a wrong password and the two cannot be told apart.
        dummy = current_app.extensions.get("between_dummy_hash")
        if dummy is None:
            dummy = current_app.extensions["between_dummy_hash"] = hasher.hash("not-a-password")
        try:
            hasher.verify(dummy, password)
        except VerificationError:
            pass
        return False, None
    try:
        hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False, None
    return True, hasher.hash(password) if hasher.check_needs_rehash(stored_hash) else None

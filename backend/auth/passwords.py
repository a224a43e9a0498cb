"""Passwords: the one rule for a new password, and Argon2id hashing (rehash on login).

A password is used exactly as typed, spaces included, everywhere: the API, the invite and
reset pages and the panel's forms never strip it, so a password set in one place works in
every other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from zxcvbn import zxcvbn  # type: ignore[import-untyped]

# OWASP's first choice is Argon2id with at least 19 MiB, t=2, p=1; we use more memory.
DEFAULT_PARAMS = {"time_cost": 2, "memory_cost": 47104, "parallelism": 1}
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
# zxcvbn scores 0-4; 3 is "safely unguessable: moderate protection from offline attack".
MIN_STRENGTH = 3
STRENGTH_CHARS = 100  # zxcvbn's time grows with length; the first 100 characters decide
# The 10,000 most used passwords (Xato's 10 million, as ranked by zxcvbn, MIT licence).
COMMON_FILE = Path(__file__).with_name("common_passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    return frozenset(COMMON_FILE.read_text(encoding="utf-8").split())


def _user_words(user_inputs: Iterable[str]) -> list[str]:
    words = ["between", "sciatica"]
    for value in user_inputs:
        value = (value or "").lower()
        words += [value, *re.split(r"[^a-z0-9]+", value)]
    return [w for w in words if len(w) >= 3]


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def password_problem(password: str, user_inputs: Iterable[str] = ()) -> str | None:
    """What is wrong with ``password`` as a new password, in words; None when it will do.

    ``user_inputs`` are the person's name and email: a password built from them is guessable.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Please use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Please use at most {MAX_PASSWORD_LENGTH} characters."
    if "\x00" in password:
        return "A password can't contain a NUL character."
    if password.strip().lower() in common_passwords():
        return "This is one of the most used passwords. Please choose another."
    letters = _letters(password)
    for value in user_inputs:
        mine = _letters((value or "").split("@")[0])
        if len(mine) >= 4 and mine in letters:
            return "Your name or email is easy to guess from a password. Please choose another."
    result = zxcvbn(password[:STRENGTH_CHARS], user_inputs=_user_words(user_inputs))
    if result["score"] < MIN_STRENGTH:
        hint = result["feedback"].get("warning") or ""
        return (
            "This password would be easy to guess"
            + (f" ({hint.rstrip('.').lower()})" if hint else "")
            + ". A few unrelated words together make a strong one."
        )
    return None


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

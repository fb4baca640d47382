"""Password hashing with Argon2id (the OWASP first choice), via argon2-cffi, and the password
rules: 10 to 1,024 characters, not a common or breached password, not the person's own name
or email, and not easy to guess by zxcvbn's estimate (NIST SP 800-63B §5.1.1.2)."""

from __future__ import annotations

import re
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

_hasher = PasswordHasher()

MIN_PASSWORD_LENGTH = 10
#: Long enough for any passphrase or password manager; short enough that hashing stays cheap.
MAX_PASSWORD_LENGTH = 1024
#: zxcvbn refuses longer input (and its matching grows with the square of the length); the
#: first 72 characters of a password that long tell whether it is guessable.
_ZXCVBN_MAX_LENGTH = 72
#: zxcvbn's score from 0 (too guessable) to 4; 3 is "safely unguessable" (about 10^8 guesses
#: or more), what it recommends for an online service.
MIN_ZXCVBN_SCORE = 3
#: Parts of a name or email shorter than this are too common to refuse on their own.
_MIN_PERSONAL_PART = 3

# Verified against when the email is unknown, so a miss costs as long as a hit.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

_TOO_EASY = (
    "This password is too easy to guess. Use a password with more variety: "
    "three or four unrelated words, or a password manager's suggestion, work well."
)


@cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships the 30,000 most common passwords from breach corpora (its "passwords"
    # list); a password equal to one of them is refused whatever else it scores.
    return frozenset(FREQUENCY_LISTS["passwords"])


def hash_password(password: str) -> str:
    """Hash ``password`` with Argon2id and a fresh salt."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; spends the same time when there is no hash."""
    if len(password) > MAX_PASSWORD_LENGTH:
        # Never spend Argon2 on a huge input; no stored password is that long.
        password = password[:MAX_PASSWORD_LENGTH] + "\0"
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def _personal_parts(email: str | None, name: str | None) -> tuple[list[str], list[str]]:
    email_parts: list[str] = []
    if email:
        local = email.partition("@")[0].lower()
        email_parts = [local, *re.split(r"[^a-z0-9]+", local)]
    name_parts = [part for part in re.split(r"\W+", (name or "").lower()) if part]
    keep = [p for p in email_parts if len(p) >= _MIN_PERSONAL_PART]
    return keep, [p for p in name_parts if len(p) >= _MIN_PERSONAL_PART]


def password_problem(
    password: str, *, email: str | None = None, name: str | None = None
) -> str | None:
    """Why ``password`` is not acceptable for the person with ``email`` and ``name``, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH:,} characters."
    lowered = password.lower()
    if lowered in _common_passwords() or lowered.strip() in _common_passwords():
        return (
            "This is one of the most common passwords, so it is among the first that attackers "
            "try. Choose another: three or four unrelated words work well."
        )
    email_parts, name_parts = _personal_parts(email, name)
    if any(part in lowered for part in email_parts):
        return "Do not use your email address, or part of it, in your password."
    if any(part in lowered for part in name_parts):
        return "Do not use your name in your password."
    result = zxcvbn(password[:_ZXCVBN_MAX_LENGTH], user_inputs=[*email_parts, *name_parts])
    if result["score"] < MIN_ZXCVBN_SCORE:
        warning = result["feedback"].get("warning")
        return f"{warning} {_TOO_EASY}" if warning else _TOO_EASY
    return None

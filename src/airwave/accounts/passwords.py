"""Password hashing with argon2id (RFC 9106), the one place passwords are hashed or checked."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from airwave.errors import BadRequest

MIN_LENGTH = 8

# argon2-cffi's defaults are the RFC 9106 "low memory" recommendation for argon2id.
_hasher = PasswordHasher()


def check_strength(password: str) -> None:
    """Reject passwords too weak to accept.

    Raises:
        BadRequest: the password is shorter than ``MIN_LENGTH`` characters.
    """
    if len(password) < MIN_LENGTH:
        raise BadRequest(f"the password is too short: use at least {MIN_LENGTH} characters")


def hash_password(password: str) -> str:
    """Return the argon2id hash (PHC string, salt included) of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Tell whether ``password`` matches ``password_hash``; a malformed hash never matches."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Tell whether the hash was made with weaker parameters than today's and should be redone."""
    return _hasher.check_needs_rehash(password_hash)


# Checked against when the email is unknown, so a wrong email costs as much time as a wrong password.
DUMMY_HASH = hash_password("airwave-dummy-password")

"""Password hashing with argon2id (RFC 9106), the one place passwords are hashed or checked."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from airwave.errors import BadRequest

MIN_LENGTH = 8
MAX_LENGTH = 256
MIN_DISTINCT = 4
# The most used passwords in public breach corpora; a chosen password must not be one of them.
COMMON = frozenset(
    [
        "12345678",
        "123456789",
        "1234567890",
        "password",
        "password1",
        "password12",
        "password123",
        "passw0rd",
        "qwertyuiop",
        "qwerty123",
        "11111111",
        "00000000",
        "12341234",
        "87654321",
        "iloveyou",
        "1q2w3e4r",
        "1qaz2wsx",
        "zaq12wsx",
        "abcd1234",
        "abc12345",
        "welcome1",
        "sunshine",
        "football",
        "baseball",
        "princess",
        "superman",
        "starwars",
        "dragon12",
        "letmein1",
        "trustno1",
        "changeme",
    ]
)

# argon2-cffi's defaults are the RFC 9106 "low memory" recommendation for argon2id.
_hasher = PasswordHasher()


def check_strength(password: str) -> None:
    """Reject passwords too weak to accept.

    Raises:
        BadRequest: the password is shorter than ``MIN_LENGTH`` characters.
    """
    if len(password) < MIN_LENGTH:
        raise BadRequest(f"the password is too short: use at least {MIN_LENGTH} characters")


def check_new_password(password: str, email: str = "") -> None:
    """The rules for a password a person chooses (sign-up, change, reset), after NIST SP 800-63B 5.1.1.2.

    Long enough, not absurdly long, not a well-known password, and not the account's own email.

    Raises:
        BadRequest: the password breaks a rule; the message says which and what to do.
    """
    check_strength(password)
    if len(password) > MAX_LENGTH:
        raise BadRequest(f"the password is too long: use at most {MAX_LENGTH} characters")
    lowered = password.lower()
    if lowered in COMMON or len(set(lowered)) < MIN_DISTINCT:
        raise BadRequest("that password is too easy to guess: choose a less common one")
    local = email.strip().lower().split("@")[0]
    if email and (lowered == email.strip().lower() or (len(local) >= MIN_LENGTH and local in lowered)):
        raise BadRequest("the password must not contain your email address")


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

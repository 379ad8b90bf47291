from __future__ import annotations

import pytest

from airwave.accounts.passwords import check_strength, hash_password, needs_rehash, verify_password
from airwave.errors import BadRequest


def test_hash_is_argon2id_salted_and_verifies() -> None:
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first.startswith("$argon2id$")
    assert first != second
    assert verify_password(first, "correct horse")
    assert not verify_password(first, "correct hoarse")
    assert not needs_rehash(first)


def test_malformed_hash_never_matches() -> None:
    assert not verify_password("not-a-hash", "anything")


def test_short_password_is_refused() -> None:
    with pytest.raises(BadRequest, match="at least 8"):
        check_strength("short")

from __future__ import annotations

import re

import pytest

from airwave.delivery.tokens import Keyring, Signer, TokenRejected, token_root

NOW = 1_800_000_000


def test_round_trip_is_compact_and_url_safe() -> None:
    signer = Signer.from_secret("secret")
    token = signer.sign("sess_ion-1", "/t/7/", NOW + 60)
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", token)
    assert len(token) < 80
    grant = signer.verify(token, "/t/7/", NOW)
    assert (grant.session_id, grant.prefix, grant.expires) == ("sess_ion-1", "/t/7/", NOW + 60)


@pytest.mark.parametrize("position", [0, 1, 2, 3])
def test_any_tampered_part_is_rejected(position: int) -> None:
    signer = Signer.from_secret("secret")
    parts = signer.sign("session", "/t/7/", NOW + 60).split(".")
    parts[position] = parts[position][:-1] + ("A" if parts[position][-1] != "A" else "B")
    with pytest.raises(TokenRejected):
        signer.verify(".".join(parts), "/t/7/", NOW)


def test_other_prefix_expiry_key_and_garbage_are_rejected() -> None:
    signer = Signer.from_secret("secret")
    token = signer.sign("session", "/t/7/", NOW + 60)
    with pytest.raises(TokenRejected, match="signature"):
        signer.verify(token, "/t/8/", NOW)
    with pytest.raises(TokenRejected, match="expired"):
        signer.verify(token, "/t/7/", NOW + 60)
    with pytest.raises(TokenRejected, match="signature"):
        Signer.from_secret("other").verify(token, "/t/7/", NOW)
    for garbage in ("", "a.b.c", "1.x.y.z.w", "9.session.zz.sig"):
        with pytest.raises(TokenRejected):
            signer.verify(garbage, "/t/7/", NOW)


def test_key_rotation_keeps_old_tokens_valid() -> None:
    old = Signer.from_secret("secret", ("1",))
    rotated = Signer.from_secret("secret", ("1", "2"))
    old_token = old.sign("session", "/t/7/", NOW + 60)
    new_token = rotated.sign("session", "/t/7/", NOW + 60)
    assert new_token.startswith("2.")
    assert rotated.verify(old_token, "/t/7/", NOW).session_id == "session"
    with pytest.raises(TokenRejected, match="unknown signing key"):
        old.verify(new_token, "/t/7/", NOW)


def test_session_ids_with_dots_are_refused() -> None:
    with pytest.raises(ValueError, match="session id"):
        Signer.from_secret("secret").sign("a.b", "/t/1/", NOW)


def test_keyring_rotates_and_old_tokens_verify_until_they_expire() -> None:
    hour = 3600.0
    keyring = Keyring(token_root("secret"), rotation_seconds=hour, lifetime_seconds=3 * hour)
    old = keyring.signer(NOW).sign("session", "/t/7/", int(NOW + 3 * hour))
    later = keyring.signer(NOW + 2 * hour)
    new = later.sign("session", "/t/7/", int(NOW + 5 * hour))
    assert old.split(".")[0] != new.split(".")[0]
    assert later.verify(old, "/t/7/", NOW + 2 * hour).session_id == "session"
    assert later.verify(new, "/t/7/", NOW + 2 * hour).session_id == "session"
    # Long after: the old key is gone from the ring (and the token expired anyway).
    with pytest.raises(TokenRejected):
        keyring.signer(NOW + 10 * hour).verify(old, "/t/7/", NOW + 2 * hour)
    assert Keyring(token_root("other"), hour, 3 * hour).signer(NOW).sign("s", "/t/7/", int(NOW)) != keyring.signer(
        NOW
    ).sign("s", "/t/7/", int(NOW))

"""The in-memory layer of the playlist checks: verified tokens, client places, shared blocking calls."""

from __future__ import annotations

import asyncio
import threading

import pytest

from airwave.delivery.access import Places, SingleFlight, VerifiedTokens
from airwave.delivery.tokens import Keyring, TokenRejected, token_root
from airwave.runtime import Runtime

NOW = 1_800_000_000
HOUR = 3600


def _keyring() -> Keyring:
    return Keyring(token_root("secret"), rotation_seconds=HOUR, lifetime_seconds=6 * HOUR)


def test_a_token_verified_once_still_expires_and_a_tampered_copy_is_checked_in_full() -> None:
    keyring = _keyring()
    token = keyring.signer(NOW).sign("session", "/t/7/", NOW + 60)
    tokens = VerifiedTokens(keyring)
    assert tokens.verify(token, "/t/7/", NOW).session_id == "session"
    assert tokens.verify(token, "/t/7/", NOW + 1).session_id == "session"
    with pytest.raises(TokenRejected, match="bad signature"):
        tokens.verify(token, "/t/8/", NOW)  # the same token under another prefix
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(TokenRejected, match="bad signature"):
        tokens.verify(tampered, "/t/7/", NOW)
    with pytest.raises(TokenRejected, match="expired"):
        tokens.verify(token, "/t/7/", NOW + 60)


def test_tokens_are_verified_again_under_the_next_key_period() -> None:
    keyring = _keyring()
    tokens = VerifiedTokens(keyring)
    token = keyring.signer(NOW).sign("session", "/t/7/", NOW + 2 * HOUR)
    tokens.verify(token, "/t/7/", NOW)
    later = NOW + HOUR
    assert keyring.signer(later) is not keyring.signer(NOW)
    assert tokens.verify(token, "/t/7/", later).expires == NOW + 2 * HOUR  # its key is still in the ring


def test_concurrent_callers_share_one_blocking_call_and_its_failure() -> None:
    calls: list[str] = []
    release = threading.Event()

    def slow(answer: str) -> str:
        calls.append(answer)
        release.wait(5)
        if answer == "boom":
            raise ValueError("database unreachable")
        return answer

    async def scenario() -> None:
        flights = SingleFlight()
        together = [asyncio.create_task(flights.run("session-1", slow, "live")) for _ in range(5)]
        await asyncio.sleep(0)
        release.set()
        assert await asyncio.gather(*together) == ["live"] * 5
        assert calls == ["live"]
        assert await flights.run("session-1", slow, "again") == "again"  # nothing kept after the call
        release.clear()
        failing = [asyncio.create_task(flights.run("session-2", slow, "boom")) for _ in range(3)]
        await asyncio.sleep(0)
        release.set()
        results = await asyncio.gather(*failing, return_exceptions=True)
        assert [type(r) for r in results] == [ValueError] * 3

    asyncio.run(scenario())
    assert calls == ["live", "again", "boom"]


def test_places_believe_forwarded_hops_from_trusted_proxies_only_and_follow_settings(runtime: Runtime) -> None:
    places = Places(runtime)
    assert places.of("203.0.113.9", ("198.51.100.7",)) == ("203.0.113.9", None)
    runtime.settings = runtime.settings.model_copy(update={"trusted_proxies": ("203.0.113.0/24",)})
    assert places.of("203.0.113.9", ("192.0.2.1, 198.51.100.7",)) == ("198.51.100.7", None)
    assert places.of("192.0.2.50", ("198.51.100.7",)) == ("192.0.2.50", None)

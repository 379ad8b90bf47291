from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import pytest
import redis

from airwave.delivery import leases
from airwave.delivery.leases import DatabaseLeases, LeaseStore, RedisLeases, redis_client
from airwave.runtime import Runtime
from tests.services import require_redis

NOW = 1_800_000_000.0


@pytest.fixture
def redis_store() -> Iterator[RedisLeases]:
    client = redis.Redis.from_url(require_redis())
    prefix = f"airwave-test-{secrets.token_hex(4)}:"
    yield RedisLeases(client, prefix)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
    client.close()


def _stores(runtime: Runtime, redis_store: RedisLeases) -> list[LeaseStore]:
    return [DatabaseLeases(runtime.db), redis_store]


def test_limit_holds_renewal_keeps_slot_and_lapsed_lease_frees_it(runtime: Runtime, redis_store: RedisLeases) -> None:
    for store in _stores(runtime, redis_store):
        assert store.claim(1, "a", 2, NOW, 30) == []
        assert store.claim(1, "b", 2, NOW, 30) == []
        assert sorted(store.claim(1, "c", 2, NOW + 1, 30)) == ["a", "b"]
        assert store.claim(2, "other-account", 2, NOW, 30) == []
        assert store.claim(1, "a", 2, NOW + 20, 30) == []  # a renewal, not a new stream
        assert store.total(NOW + 25) == 3
        # b fell silent for 30 s: its slot goes to c, and b cannot come back while c plays.
        assert store.claim(1, "c", 2, NOW + 31, 30) == []
        assert sorted(store.claim(1, "b", 2, NOW + 32, 30)) == ["a", "c"]
        store.release(1, "a")
        assert store.claim(1, "b", 2, NOW + 33, 30) == []


def test_redis_down_fails_open_and_is_not_asked_again_at_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    dead = redis_client("redis://127.0.0.1:1/0")
    assert dead.get_retry().get_retries() == 1  # not redis-py's default three with back-off (~3 s a claim)
    store = RedisLeases(dead, "x:")
    asked: list[object] = []
    script = store._script

    def counted(**arguments: object) -> object:
        asked.append(arguments)
        return script(**arguments)

    monkeypatch.setattr(store, "_script", counted)
    for session in ("a", "b", "c"):
        assert store.claim(1, session, 1, NOW, 30) == []
    store.release(1, "a")
    assert store.total(NOW) == 0
    assert len(asked) == 1  # the first claim found Redis down; the rest did not wait on it
    assert caplog.text.count("NOT enforced") == 1
    dead.close()


def test_redis_is_asked_again_after_the_pause(monkeypatch: pytest.MonkeyPatch, redis_store: RedisLeases) -> None:
    monkeypatch.setattr(leases, "RETRY_AFTER", 0.2)
    working = redis_store._script

    def outage(**_: object) -> None:
        raise redis.ConnectionError("Redis went away")

    monkeypatch.setattr(redis_store, "_script", outage)
    assert redis_store.claim(1, "a", 1, NOW, 30) == []  # down: allowed
    monkeypatch.setattr(redis_store, "_script", working)
    assert redis_store.claim(1, "b", 1, NOW, 30) == []  # Redis is back, but not asked during the pause
    time.sleep(0.25)
    assert redis_store.claim(1, "c", 1, NOW, 30) == []
    assert redis_store.claim(1, "d", 1, NOW, 30) == ["c"]  # enforced again

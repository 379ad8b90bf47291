"""Concurrent-stream leases: each playback session holds one of its account's stream slots while it plays.

A lease is taken when a session starts and renewed by the session's playlist, key and heartbeat requests; after
``ttl`` seconds of silence it lapses and the slot is free. A start (or a renewal of a lapsed lease) beyond the
account's limit is refused with the sessions holding the slots, so the viewer can end one.

Two stores, one behaviour:

* :class:`DatabaseLeases` (embedded mode): rows in ``stream_leases``; the account's row is locked (PostgreSQL)
  or the database write lock taken first (SQLite) so two processes cannot both take the last slot.
* :class:`RedisLeases` (scale mode, ``redis_url``): one sorted set per account, ``session -> expiry``, updated by
  one Lua script (ZREMRANGEBYSCORE, then ZADD XX for a renewal or ZCARD + ZADD for a new stream, EXPIRE)
  run with EVALSHA, so every origin process
  shares the limit atomically. If Redis cannot be reached the claim is allowed and the failure logged:
  streams keep playing through a Redis outage (fail open). After a failure the store stops asking Redis for
  :data:`RETRY_AFTER` seconds, so an outage does not hold every renewal for a connect timeout.

LIVE-CORE's live playlist route calls :func:`renew` (``renew(runtime, session_id) -> bool``); ``False`` means
the session lost its slot (or ended) and the request should get 403.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Sequence
from typing import Any, Protocol

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from airwave.runtime import Runtime
from airwave.store.delivery import StreamLease
from airwave.store.engine import Database
from airwave.store.tables import PlaybackSession, User

log = logging.getLogger(__name__)

RETRY_AFTER = 5.0  # seconds a RedisLeases fails open without asking Redis, after Redis failed

MAX_HOLDERS = 100_000
CLAIM_SCRIPT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local renewed = redis.call('ZADD', KEYS[1], 'XX', 'CH', ARGV[2], ARGV[3]) == 1
if not renewed and redis.call('ZSCORE', KEYS[1], ARGV[3]) == false then
  if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
    return redis.call('ZRANGE', KEYS[1], 0, -1)
  end
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
return {}
"""


class LeaseStore(Protocol):
    """Where leases live."""

    def claim(self, user_id: int, session_id: str, limit: int, now: float, ttl: float) -> list[str]:
        """Take or renew the session's lease until ``now + ttl``.

        Returns ``[]`` when the session holds a slot, else the ids of the sessions holding all ``limit`` slots.
        """
        ...

    def release(self, user_id: int, session_id: str) -> None:
        """Free the session's slot at once."""
        ...

    def total(self, now: float) -> int:
        """Leases held across all accounts (for metrics)."""
        ...


class DatabaseLeases:
    """Leases as rows of ``stream_leases`` (embedded mode)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def claim(self, user_id: int, session_id: str, limit: int, now: float, ttl: float) -> list[str]:
        with self._db.session() as session:
            _lock_account(session, user_id, now)
            held = list(session.scalars(select(StreamLease.session_id).where(StreamLease.user_id == user_id)))
            if session_id not in held and len(held) >= limit:
                return held
            session.merge(StreamLease(session_id=session_id, user_id=user_id, expires=now + ttl))
            return []

    def release(self, user_id: int, session_id: str) -> None:
        with self._db.session() as session:
            session.execute(delete(StreamLease).where(StreamLease.session_id == session_id))

    def total(self, now: float) -> int:
        with self._db.session() as session:
            return session.scalar(select(func.count()).where(StreamLease.expires > now)) or 0


def _lock_account(session: Session, user_id: int, now: float) -> None:
    # SQLite: the DELETE opens the write transaction, serialising claims across processes. PostgreSQL: the
    # account row lock does, before anything is read.
    if session.get_bind().dialect.name != "sqlite":
        session.execute(select(User.id).where(User.id == user_id).with_for_update())
    session.execute(delete(StreamLease).where(StreamLease.user_id == user_id, StreamLease.expires <= now))


class RedisLeases:
    """Leases in Redis sorted sets, one per account (scale mode); fails open when Redis is down."""

    def __init__(self, client: redis.Redis, prefix: str = "airwave:") -> None:
        self._client = client
        self._prefix = prefix
        self._script = client.register_script(CLAIM_SCRIPT)
        self._last_warning = 0.0
        self._down_until = 0.0  # monotonic time before which Redis is not asked again

    def key(self, user_id: int) -> str:
        return f"{self._prefix}leases:{user_id}"

    def claim(self, user_id: int, session_id: str, limit: int, now: float, ttl: float) -> list[str]:
        if self._down():
            return []
        args: list[str | float] = [now, now + ttl, session_id, limit, int(ttl) + 1]
        try:
            held: Sequence[Any] = self._script(keys=[self.key(user_id)], args=args)
        except redis.RedisError as exc:
            self._failed(exc)
            return []
        return [item.decode() if isinstance(item, bytes) else str(item) for item in held]

    def release(self, user_id: int, session_id: str) -> None:
        if self._down():
            return
        try:
            self._client.zrem(self.key(user_id), session_id)
        except redis.RedisError as exc:
            self._failed(exc)

    def total(self, now: float) -> int:
        count = 0
        if self._down():
            return count
        try:
            for key in self._client.scan_iter(match=f"{self._prefix}leases:*", count=500):
                count += int(self._client.zcount(key, now, "+inf"))
        except redis.RedisError as exc:
            self._failed(exc)
        return count

    def _down(self) -> bool:
        return time.monotonic() < self._down_until

    def _failed(self, exc: Exception) -> None:
        # Fail open without asking again for a while, and say so: once a minute at most, so an outage does not
        # flood the log.
        self._down_until = time.monotonic() + RETRY_AFTER
        if time.monotonic() - self._last_warning > 60:
            self._last_warning = time.monotonic()
            log.warning("Redis unreachable (%s): stream limits are NOT enforced until it is back", exc)


class _Holder:
    """Who a session belongs to and how long its lease lasts, cached per process."""

    __slots__ = ("limit", "renewed", "ttl", "user_id")

    def __init__(self, user_id: int, limit: int, ttl: float) -> None:
        self.user_id = user_id
        self.limit = limit
        self.ttl = ttl
        self.renewed = 0.0


class Leases:
    """The runtime's lease store plus a per-process cache that keeps renewals off the hot path."""

    def __init__(self, runtime: Runtime, store: LeaseStore | None = None) -> None:
        self.runtime = runtime
        self.store = store or _store_for(runtime)
        self._holders: dict[str, _Holder | None] = {}
        self._lock = threading.Lock()

    def admit(self, user_id: int, session_id: str, limit: int, ttl: float) -> list[str]:
        """Take a lease for a new session; ``[]`` when admitted, else the sessions holding every slot."""
        now = self.runtime.clock.time()
        held = self.store.claim(user_id, session_id, limit, now, ttl)
        if not held:
            holder = _Holder(user_id, limit, ttl)
            holder.renewed = now
            with self._lock:
                self._holders[session_id] = holder
        return held

    def needs_renewal(self, session_id: str) -> bool:
        """Whether a renewal would reach the store now (no I/O: lets the hot path skip a thread hop)."""
        holder = self._holders.get(session_id)
        return holder is None or self.runtime.clock.time() - holder.renewed >= holder.ttl / 4

    def renew(self, session_id: str) -> bool:
        """Renew the session's lease (at most every quarter lease per process); False if it has no slot."""
        now = self.runtime.clock.time()
        holder = self._holders.get(session_id)
        if holder is None:
            holder = self._load(session_id)
        if holder is None:
            return False
        if now - holder.renewed < holder.ttl / 4:
            return True
        if self.store.claim(holder.user_id, session_id, holder.limit, now, holder.ttl):
            holder.renewed = 0.0
            return False
        holder.renewed = now
        return True

    def release(self, user_id: int, session_id: str) -> None:
        """Free the session's slot (the session ended)."""
        with self._lock:
            self._holders[session_id] = None
        self.store.release(user_id, session_id)

    def _load(self, session_id: str) -> _Holder | None:
        from airwave.delivery.limits import lease_seconds, stream_limit

        clock = self.runtime.clock
        with self.runtime.db.session() as session:
            row = session.get(PlaybackSession, session_id)
            if row is None or row.ended_at is not None or row.expires_at <= clock.now():
                return None
            user = session.get(User, row.user_id)
            if user is None:
                return None
            holder = _Holder(user.id, stream_limit(session, user, self.runtime), lease_seconds(self.runtime, row))
        with self._lock:
            if len(self._holders) > MAX_HOLDERS:  # ended and lapsed sessions; reloaded on demand
                self._holders.clear()
            self._holders.setdefault(session_id, holder)
        return holder


def _store_for(runtime: Runtime) -> LeaseStore:
    settings = runtime.settings
    if settings.redis_url:
        return RedisLeases(redis_client(settings.redis_url), settings.redis_key_prefix)
    return DatabaseLeases(runtime.db)


def redis_client(url: str) -> redis.Redis:
    """A client for the lease store: short timeouts and one immediate retry (a pooled connection the server
    closed), not redis-py's default of three with back-off, which held a claim ~3 s when Redis was down."""
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 1))


_LEASES: dict[int, Leases] = {}
_LEASES_LOCK = threading.Lock()


def leases_of(runtime: Runtime) -> Leases:
    """The :class:`Leases` of ``runtime`` (one per runtime, created on first use)."""
    leases = _LEASES.get(id(runtime))
    if leases is None:
        with _LEASES_LOCK:
            leases = _LEASES.get(id(runtime))
            if leases is None:
                leases = _LEASES[id(runtime)] = Leases(runtime)
                weakref.finalize(runtime, _LEASES.pop, id(runtime), None)
    return leases


def renew(runtime: Runtime, session_id: str) -> bool:
    """Renew a playing session's stream lease; False means it no longer holds a slot (answer 403)."""
    return leases_of(runtime).renew(session_id)

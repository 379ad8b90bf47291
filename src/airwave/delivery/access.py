"""The checks behind personal objects (playlists, keys): session, client, lease and entitlement.

Two layers. ``check_*`` do blocking I/O (database, lease store) and run in a worker thread. A playlist is
refreshed every few seconds by every viewer, so the playlist checks are first answered from memory:
:func:`decided_in_memory` says whether every check can be decided without I/O right now (same client as the
session's, or for an ASN-bound session an address of its network, from the per-address cache of
:class:`Places`; lease renewed less than a quarter lease ago, a fresh cached entitlement answer), and
:func:`playlist_refusal` falls back to the I/O checks, each in the threadpool, only for the check that needs it.
Nothing is skipped: a check is answered from memory only while its cached answer is as fresh as the I/O
path's own cache would be.

Usage from a playlist route (on-demand in ``web.media``, live in ``web.live``)::

    address, territory = places.of(peer, forwarded)
    refusal = await playlist_refusal(runtime, leases, entitlements, info, address, territory)
    if refusal is not None: ...  # answer 403
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from airwave.accounts import entitlements
from airwave.accounts.geo import asn_for, client_address, territory_for
from airwave.config import Settings
from airwave.delivery import abuse, binding
from airwave.delivery.leases import Leases
from airwave.delivery.lookup import SessionInfo, TTLCache
from airwave.delivery.tokens import Grant, Keyring, TokenRejected
from airwave.runtime import Runtime
from airwave.store.tables import PlaybackSession, User

T = TypeVar("T")

STREAM_TAKEN = "this stream was stopped: your account's other devices are using every stream; start playback again"
BOUND = {"ip": "session bound to another address", "asn": "session bound to another network"}


def check_client(runtime: Runtime, info: SessionInfo, address: str) -> str | None:
    """Meet a request from an address other than the session's by its binding (``delivery/binding.py``):
    allow a move within an ASN-bound session's network; otherwise log a replay, and refuse it when bound.
    The refusal reason or None."""
    if abuse.same_client(info.client_ip, address):
        return None
    kind = binding.effective(runtime.settings, info.binding)
    network = asn_for(runtime.settings, address) if kind == "asn" else None
    if kind == "asn" and binding.allows(kind, info.client_asn, network):
        return None  # the viewer's device changed address within its network (a phone changing cells)
    refused = not binding.allows(kind, info.client_asn, network)
    if abuse.should_report(info.id, address):
        detail = f"session started from {info.client_ip}; binding {kind}"
        if kind == "asn":
            detail += f" (started in AS{info.client_asn}, request from {_network_name(network)})"
        abuse.record(runtime.db, runtime.clock, "replay", session_id=info.id, user_id=info.user_id,
                     client_ip=address, detail=detail + ("; refused" if refused else "; served"))  # fmt: skip
    return BOUND[kind] if refused else None


def _network_name(asn: int | None) -> str:
    return f"AS{asn}" if asn is not None else "an unknown network"


def check_lease(leases: Leases, info: SessionInfo) -> str | None:
    """Renew the session's stream lease; the refusal reason when it lost its slot."""
    return None if leases.renew(info.id) else STREAM_TAKEN


def check_key(
    runtime: Runtime, leases: Leases, session_id: str, content: entitlements.Content, territory: str | None = None
) -> str | None:
    """May the session have a content key now? Read fresh: live session, its lease, the account's entitlement
    from the client's ``territory`` (content limited to territories is refused where it is unknown)."""
    with runtime.db.session() as session:
        reason = _session_entitled(session, runtime, session_id, content, territory)
    if reason is None and not leases.renew(session_id):
        return STREAM_TAKEN
    return reason


def _session_entitled(
    session: Session, runtime: Runtime, session_id: str, content: entitlements.Content, territory: str | None
) -> str | None:
    row = session.get(PlaybackSession, session_id)
    if row is None or row.ended_at is not None or row.expires_at <= runtime.clock.now():
        return "session ended"
    user = session.get(User, row.user_id)
    if user is None:
        return "account deleted"
    decision = entitlements.check_playback(session, user, content, runtime.clock, territory)
    return None if decision.allowed else decision.reason or "not entitled"


class SessionGate(Protocol):
    """What the playlist checks need of the entitlement cache (``billing.access.SessionEntitlements``)."""

    def cached(self, session_id: str, territory: str | None) -> tuple[bool, str | None]: ...

    def refusal(self, session_id: str, territory: str | None) -> str | None: ...


def decided_in_memory(leases: Leases, gate: SessionGate, info: SessionInfo, address: str,
                      territory: str | None, places: Places | None = None) -> tuple[bool, str | None]:  # fmt: skip
    """``(True, refusal or None)`` when every playlist check is answered from memory, else ``(False, None)``.

    Undecided means some check needs I/O (another client to record, a lease renewal due, an entitlement answer
    to read): call :func:`playlist_refusal`. With ``places``, an ASN-bound session's move within its network
    is decided here too.
    """
    started = info.client_ip  # inline same_client: this runs on every playlist refresh
    moved = started and started != address and (places is None or not places.within_network(info, address))
    if moved or leases.needs_renewal(info.id):
        return False, None
    return gate.cached(info.id, territory)


def _client_allowed(info: SessionInfo, address: str, places: Places | None) -> bool:
    """The session's own client, or (known from memory) an address within its bound network."""
    return abuse.same_client(info.client_ip, address) or (places is not None and places.within_network(info, address))


async def playlist_refusal(runtime: Runtime, leases: Leases, gate: SessionGate, info: SessionInfo, address: str,
                           territory: str | None, flights: SingleFlight | None = None,
                           places: Places | None = None) -> str | None:  # fmt: skip
    """The client, lease and entitlement checks of a playlist request; the refusal reason or None.

    Each check is answered from memory when it can be; the ones needing I/O run in the threadpool, shared
    through ``flights`` by the session's concurrent requests.
    """
    flights = flights or SingleFlight()
    refusal = None
    if not _client_allowed(info, address, places):  # rare: record it off the event loop
        refusal = await run_in_threadpool(check_client, runtime, info, address)
    if refusal is None and leases.needs_renewal(info.id):
        refusal = await flights.run(("lease", info.id), check_lease, leases, info)
    if refusal is None:  # a lapsed subscription stops running sessions here (answers cached a few seconds)
        found, cached = gate.cached(info.id, territory)
        if not found:
            cached = await flights.run(("entitled", info.id, territory), gate.refusal, info.id, territory)
        refusal = cached
    return refusal


class SingleFlight:
    """Concurrent requests asking the same blocking question share one worker-thread call.

    When a cached answer lapses, every request in flight for that session misses at once (a player with
    parallel requests, or a load test's many connections); one database read answers them all.
    """

    def __init__(self) -> None:
        self._pending: dict[Hashable, asyncio.Future[Any]] = {}

    async def run(self, key: Hashable, call: Callable[..., T], *args: Any) -> T:
        """``call(*args)`` in the threadpool, or the result of the same call already running for ``key``."""
        pending = self._pending.get(key)
        if pending is not None:
            result: T = await asyncio.shield(pending)
            return result
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            answer = await run_in_threadpool(call, *args)
        except BaseException as exc:
            if isinstance(exc, Exception):
                future.set_exception(exc)
                future.exception()  # the waiters (if any) re-raise it; nobody else must be told
            else:
                future.cancel()
            raise
        finally:
            self._pending.pop(key, None)
        future.set_result(answer)
        return answer


class Places:
    """The client address and territory of a peer and its ``X-Forwarded-For``, remembered for a minute.

    Parsing addresses and asking the GeoIP files costs more than the rest of a cached playlist request. The
    answers depend only on the peer, the forwarded hops and the settings, so they are kept per (peer, hops)
    and forgotten when the settings object changes; a GeoIP file replaced on disk is seen within ``ttl``.
    """

    def __init__(self, runtime: Runtime, ttl: float = 60.0, max_entries: int = 20_000) -> None:
        self._runtime = runtime
        self._ttl = ttl
        self._max = max_entries
        self._settings: Settings | None = None
        self._answers: TTLCache[tuple[str, tuple[str, ...]], tuple[str, str | None]] = TTLCache(max_entries)
        self._networks: TTLCache[str, int | None] = TTLCache(max_entries)

    def of(self, peer: str, forwarded: tuple[str, ...]) -> tuple[str, str | None]:
        """The client's IP (``X-Forwarded-For`` believed from ``trusted_proxies`` only) and its territory
        (ISO country code from the GeoIP settings; None when unknown)."""
        settings = self._current_settings()
        key = (peer, forwarded)
        found, answer = self._answers.get(key)
        if found and answer is not None:
            return answer
        headers = {"x-forwarded-for": ", ".join(forwarded)} if forwarded else {}
        answer = (client_address(peer, forwarded, settings.trusted_proxies), territory_for(settings, peer, headers))
        self._answers.put(key, answer, self._ttl)
        return answer

    def network(self, address: str) -> int | None:
        """The autonomous system of the client ``address`` (None when unknown), looked up once a minute."""
        settings = self._current_settings()
        found, asn = self._networks.get(address)
        if found:
            return asn
        asn = asn_for(settings, address)
        self._networks.put(address, asn, self._ttl)
        return asn

    def within_network(self, info: SessionInfo, address: str) -> bool:
        """Whether ``address`` may use the ASN-bound session ``info`` (an address of its starting network)."""
        if info.client_asn is None or binding.effective(self._runtime.settings, info.binding) != "asn":
            return False
        return self.network(address) == info.client_asn

    def _current_settings(self) -> Settings:
        settings = self._runtime.settings
        if settings is not self._settings:
            self._answers, self._networks = TTLCache(self._max), TTLCache(self._max)
            self._settings = settings
        return settings


class VerifiedTokens:
    """Playback tokens checked once per key period: the HMAC is computed the first time a token is seen.

    A token is a fixed string: once its signature verified for a prefix under the current signer, it verifies
    again until the signer changes (the next key period), so only its expiry is checked on each request. A
    tampered token is another string and gets the full check.
    """

    def __init__(self, keyring: Keyring, max_entries: int = 50_000) -> None:
        self._keyring = keyring
        self._max = max_entries
        self._signer: object = None
        self._grants: dict[tuple[str, str], Grant] = {}

    def verify(self, token: str, prefix: str, now: float) -> Grant:
        """The token's grant for a request under ``prefix`` at ``now``.

        Raises:
            TokenRejected: as :meth:`airwave.delivery.tokens.Signer.verify`.
        """
        signer = self._keyring.signer(now)
        if signer is not self._signer:
            self._grants, self._signer = {}, signer
        grant = self._grants.get((token, prefix))
        if grant is None:
            grant = signer.verify(token, prefix, now)
            if len(self._grants) >= self._max:
                self._grants = {}
            self._grants[(token, prefix)] = grant
        if grant.expires <= now:
            raise TokenRejected("expired")
        return grant

"""The origin's front door: a session's media playlist answered from memory, before the FastAPI stack.

Every viewer refreshes its media playlist every few seconds, so ``/p/{token}/t/{title_id}/{rendition}.m3u8``
is the busiest personal request. Routing, dependency solving and a thread hop per check cost many times the
work itself, so this raw ASGI layer answers it directly, but only when *every* check is decided from memory
and passes: the token's HMAC and expiry are verified on each request, the session and title come from the
lookup caches, the client is the session's own, the stream lease was renewed less than a quarter lease ago,
the entitlement answer is fresh, and the playlist text is cached. Anything else (a check due for I/O, a
refusal, a cold cache, the master playlist, keys, segments) goes on to the ordinary route in ``web.media``,
which runs the same checks with their I/O and fills the caches. So this layer never decides anything the
route would not: it only skips the machinery around the decision.

Requests it answers are counted in the request metrics under the route's template, as the metrics
middleware would.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from prometheus_client import Counter, Histogram
from starlette.datastructures import State
from starlette.types import ASGIApp, Receive, Scope, Send

from airwave.delivery import access
from airwave.delivery.files import CONTENT_TYPES, PRIVATE
from airwave.delivery.playback import title_prefix
from airwave.delivery.tokens import TokenRejected

if TYPE_CHECKING:
    from airwave.web.media import Playback
    from airwave.web.system import Metrics

ROUTE = "/p/{token}/t/{title_id}/{path}"
_HEADERS = [(b"content-type", CONTENT_TYPES[".m3u8"].encode()), (b"cache-control", PRIVATE.encode())]


class PlaylistFront:
    """ASGI middleware answering cached, fully checked media playlists; everything else passes through."""

    def __init__(self, app: ASGIApp, state: State) -> None:
        self.app = app
        self.state = state
        self._playback: Playback | None = None
        self._metrics: dict[str, _Instruments] = {}
        self._headers_by_length: dict[int, list[tuple[bytes, bytes]]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path.startswith("/p/") and scope["method"] in ("GET", "HEAD"):
                started = time.perf_counter()
                body = self.answer(scope)
                if body is not None:
                    await send({"type": "http.response.start", "status": 200, "headers": self._headers(len(body))})
                    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
                    self._instruments(scope["method"]).record(time.perf_counter() - started)
                    return
            elif path == "/metrics":
                for instruments in self._metrics.values():
                    instruments.flush()
        await self.app(scope, receive, send)

    def answer(self, scope: Scope) -> bytes | None:
        """The playlist to send when every check passes from memory, else None (the route decides)."""
        parsed = parse_playlist_path(scope["path"]) if not scope.get("root_path") else None
        if parsed is None:
            return None
        token, title_id, path = parsed
        playback = self._playback or self._bind()
        now = playback.runtime.clock.time()
        try:
            grant = playback.tokens.verify(token, title_prefix(title_id), now)
        except TokenRejected:
            return None
        found, info = playback.lookup.sessions.get(grant.session_id)
        if not found or info is None or info.title_id != title_id or info.expires <= now:
            return None
        found, media = playback.lookup.titles.get(title_id)
        if not found or media is None:
            return None
        found, body = playback.served.get((str(media.folder), path))
        if not found or body is None:
            return None
        address, territory = playback.places.of(*_peer(scope))
        decided, refusal = access.decided_in_memory(playback.leases, playback.entitlements, info, address, territory,
                                                    playback.places)  # fmt: skip
        return body if decided and refusal is None else None

    def _headers(self, length: int) -> list[tuple[bytes, bytes]]:
        headers = self._headers_by_length.get(length)
        if headers is None:
            if len(self._headers_by_length) > 1_000:
                self._headers_by_length.clear()
            headers = self._headers_by_length[length] = [*_HEADERS, (b"content-length", b"%d" % length)]
        return headers

    def _bind(self) -> Playback:
        # The app's one Playback (web.media.install), read through Starlette's State once, not per request.
        playback: Playback = self.state.playback
        self._playback = playback
        return playback

    def _instruments(self, method: str) -> _Instruments:
        instruments = self._metrics.get(method)
        if instruments is None:
            instruments = self._metrics[method] = _Instruments(self.state.metrics, method)
        return instruments


class _Instruments:
    """The request metrics of one method on the playlist route, as the metrics middleware records them.

    Latency is observed per request; the request count is added in batches (a lock per request saved) and
    flushed before every ``/metrics`` scrape that passes the front, so a scrape always sees exact counts.
    """

    BATCH = 256

    def __init__(self, metrics: Metrics, method: str) -> None:
        self._requests: Counter = metrics.requests.labels(method, ROUTE, "200")
        self._latency: Histogram = metrics.latency.labels(ROUTE)
        self._pending = 0

    def record(self, seconds: float) -> None:
        self._latency.observe(seconds)
        self._pending += 1
        if self._pending >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        pending, self._pending = self._pending, 0
        if pending:
            self._requests.inc(pending)


def parse_playlist_path(path: str) -> tuple[str, int, str] | None:
    """``(token, title id, media playlist path)`` of ``/p/{token}/t/{id}/{path}.m3u8``, else None.

    The master playlist is left to the route: it is fetched once per session and depends on edge routing.
    """
    parts = path.split("/", 5)
    if len(parts) != 6 or parts[1] != "p" or parts[3] != "t" or not parts[2]:
        return None
    number, rest = parts[4], parts[5]
    if not (number.isascii() and number.isdigit()) or not rest.endswith(".m3u8") or rest == "master.m3u8":
        return None
    return parts[2], int(number), rest


def _peer(scope: Scope) -> tuple[str, tuple[str, ...]]:
    client = scope.get("client")
    hops = [value for name, value in scope["headers"] if name == b"x-forwarded-for"]
    forwarded = tuple(value.decode("latin-1") for value in hops) if hops else ()
    return (client[0] if client else ""), forwarded

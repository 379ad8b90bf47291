"""The origin's front door: a session's media playlist answered from memory, before the FastAPI stack.

Every viewer refreshes its media playlist every few seconds, so ``/p/{token}/t/{title_id}/{rendition}.m3u8``
and a channel's ``/p/{token}/c/{slug}/{rendition}/live.m3u8`` are the busiest personal requests. Routing,
dependency solving and a thread hop per check cost many times the work itself, so this raw ASGI layer answers
them directly, but only when *every* check is decided from memory and passes: the token's HMAC and expiry are
verified on each request, the session and title come from the lookup caches, the client is the session's own,
the stream lease was renewed less than a quarter lease ago, the entitlement answer is fresh, and the playlist
text is cached. For a channel, also: the channel row and the viewer's blackout rules are cached, a watermarked
channel has the session's code stored, and the live playlist was rendered for those rules a moment ago
(``web.live.TEXT_SECONDS``). Anything else (a check due for I/O, a refusal, a cold cache, master and archive
playlists, keys, segments) goes on to the ordinary route in ``web.media`` or ``web.live``, which runs the same
checks with their I/O and fills the caches. So this layer never decides anything the route would not: it only
skips the machinery around the decision.

Requests it answers are counted in the request metrics under the route's template, as the metrics
middleware would.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from prometheus_client import Counter, Histogram
from starlette.datastructures import State
from starlette.types import ASGIApp, Receive, Scope, Send

from airwave.channels import blackouts
from airwave.channels.playback import channel_prefix
from airwave.delivery import access
from airwave.delivery.files import CONTENT_TYPES, PRIVATE
from airwave.delivery.lookup import SessionInfo
from airwave.delivery.playback import title_prefix
from airwave.delivery.tokens import TokenRejected
from airwave.web import live

if TYPE_CHECKING:
    from airwave.web.media import Playback
    from airwave.web.system import Metrics

ROUTE = "/p/{token}/t/{title_id}/{path}"
CHANNEL_ROUTE = "/p/{token}/c/{slug}/{path}"
_HEADERS = [(b"content-type", CONTENT_TYPES[".m3u8"].encode()), (b"cache-control", PRIVATE.encode())]


class PlaylistFront:
    """ASGI middleware answering cached, fully checked media playlists; everything else passes through."""

    def __init__(self, app: ASGIApp, state: State) -> None:
        self.app = app
        self.state = state
        self._playback: Playback | None = None
        self._metrics: dict[tuple[str, str], _Instruments] = {}
        self._headers_by_length: dict[int, list[tuple[bytes, bytes]]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path.startswith("/p/") and scope["method"] in ("GET", "HEAD"):
                started = time.perf_counter()
                answered = self.answer(scope)
                if answered is not None:
                    body, route = answered
                    await send({"type": "http.response.start", "status": 200, "headers": self._headers(len(body))})
                    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
                    self._instruments(scope["method"], route).record(time.perf_counter() - started)
                    return
            elif path == "/metrics":
                for instruments in self._metrics.values():
                    instruments.flush()
        await self.app(scope, receive, send)

    def answer(self, scope: Scope) -> tuple[bytes, str] | None:
        """The playlist to send and its route when every check passes from memory, else None (the route
        decides)."""
        if scope.get("root_path"):
            return None
        title = parse_playlist_path(scope["path"])
        if title is not None:
            body = self._title_playlist(scope, *title)
            return (body, ROUTE) if body is not None else None
        channel = parse_channel_playlist_path(scope["path"])
        if channel is not None:
            body = self._channel_playlist(scope, *channel)
            return (body, CHANNEL_ROUTE) if body is not None else None
        return None

    def _title_playlist(self, scope: Scope, token: str, title_id: int, path: str) -> bytes | None:
        playback = self._playback or self._bind()
        info = self._session(playback, token, title_prefix(title_id))
        if info is None or info.title_id != title_id:
            return None
        found, media = playback.lookup.titles.get(title_id)
        if not found or media is None:
            return None
        found, body = playback.served.get((str(media.folder), path))
        if not found or body is None:
            return None
        allowed, _ = self._allowed(playback, scope, info)
        return body if allowed else None

    def _channel_playlist(self, scope: Scope, token: str, slug: str, path: str) -> bytes | None:
        playback = self._playback or self._bind()
        runtime = playback.runtime
        info = self._session(playback, token, channel_prefix(slug))
        if info is None or info.channel != slug:
            return None
        found, channel = live.cached_channel(runtime, slug)
        if not found or channel is None:
            return None
        if channel.watermark:  # WATERMARK (issue 6): the route stores the session's code on its first playlist
            variants = getattr(self.state, "live_variants", None)
            if variants is None or not variants.knows(info.id):
                return None
        allowed, territory = self._allowed(playback, scope, info)
        if not allowed:
            return None
        rules = blackouts.cached_viewer_rules(runtime, channel.id, territory, info.user_id)
        return live.cached_playlist(runtime, slug, path, rules) if rules is not None else None

    @staticmethod
    def _session(playback: Playback, token: str, prefix: str) -> SessionInfo | None:
        """The live session ``token`` grants for ``prefix``, when the token is valid and the session cached."""
        now = playback.runtime.clock.time()
        try:
            grant = playback.tokens.verify(token, prefix, now)
        except TokenRejected:
            return None
        found, info = playback.lookup.sessions.get(grant.session_id)
        return info if found and info is not None and info.expires > now else None

    @staticmethod
    def _allowed(playback: Playback, scope: Scope, info: SessionInfo) -> tuple[bool, str | None]:
        """Whether the client, lease and entitlement checks pass from memory (False: refused, or I/O needed),
        and the client's territory (None when unknown)."""
        address, territory = playback.places.of(*_peer(scope))
        decided, refusal = access.decided_in_memory(playback.leases, playback.entitlements, info, address, territory,
                                                    playback.places)  # fmt: skip
        return decided and refusal is None, territory

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

    def _instruments(self, method: str, route: str) -> _Instruments:
        instruments = self._metrics.get((method, route))
        if instruments is None:
            instruments = self._metrics[method, route] = _Instruments(self.state.metrics, method, route)
        return instruments


class _Instruments:
    """The request metrics of one method on a playlist route, as the metrics middleware records them.

    Latency is observed per request; the request count is added in batches (a lock per request saved) and
    flushed before every ``/metrics`` scrape that passes the front, so a scrape always sees exact counts.
    """

    BATCH = 256

    def __init__(self, metrics: Metrics, method: str, route: str) -> None:
        self._requests: Counter = metrics.requests.labels(method, route, "200")
        self._latency: Histogram = metrics.latency.labels(route)
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


def parse_channel_playlist_path(path: str) -> tuple[str, str, str] | None:
    """``(token, channel slug, live media playlist path)`` of ``/p/{token}/c/{slug}/{rendition}/{name}.m3u8``,
    else None. Master and archive playlists are left to the route."""
    parts = path.split("/", 5)
    if len(parts) != 6 or parts[1] != "p" or parts[3] != "c" or not parts[2] or not parts[4]:
        return None
    rest = parts[5]
    if not rest.endswith(".m3u8") or rest.count("/") != 1 or rest.startswith("archive/"):
        return None
    return parts[2], parts[4], rest


def _peer(scope: Scope) -> tuple[str, tuple[str, ...]]:
    client = scope.get("client")
    hops = [value for name, value in scope["headers"] if name == b"x-forwarded-for"]
    forwarded = tuple(value.decode("latin-1") for value in hops) if hops else ()
    return (client[0] if client else ""), forwarded

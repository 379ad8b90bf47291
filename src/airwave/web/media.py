"""Playback routes under ``/p/{token}/t/{title_id}/`` and public artwork under ``/art/{title_id}/``.

This is the hot path. A request is checked by the pure token code (no database), the session and the title's
folder come from short-lived caches, and files go out as ``FileResponse``: the server sends them by
``http.response.pathsend`` (granian) or sendfile, never through a Python read loop.

Personal objects (the master and media playlists, content keys) are ``no-store`` and renew the session's
stream lease; keys are also re-checked against the database (session live, entitlement). Shared objects
(segments, init sections) are ``public, immutable`` so edges cache them under the path after the token;
with ``vod_encryption`` they are the AES-128 copies made by :mod:`airwave.delivery.keys`.

In the server, :mod:`airwave.web.front` answers a media playlist refresh before this router when every one of
these checks is decided from memory (:func:`airwave.delivery.access.decided_in_memory`); the route below is
where those caches are filled and where every refusal is made.

``/p/{token}/c/{slug}/keys/{period}.key`` (live keys) is served here too; LIVE-CORE's channel routes serve
the rest of ``/c/``.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from fastapi import APIRouter, FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from airwave.accounts.entitlements import Content
from airwave.accounts.geo import client_address
from airwave.billing.access import SessionEntitlements
from airwave.delivery import access, keys
from airwave.delivery.files import CONTENT_TYPES, PRIVATE, servable
from airwave.delivery.leases import leases_of
from airwave.delivery.lookup import PlaybackLookup, SessionInfo, TitleMedia, TTLCache
from airwave.delivery.metrics import DeliveryCollector, DeliveryCounters
from airwave.delivery.monitor import EdgeMonitor
from airwave.delivery.playback import title_prefix
from airwave.delivery.routing import EdgeDirectory
from airwave.delivery.signing import keyring_for
from airwave.delivery.tokens import Signer, TokenRejected
from airwave.delivery.variants import VARIANT_HEADER, VariantFiles, tells_variant
from airwave.hls.master import render_master
from airwave.runtime import Runtime

log = logging.getLogger(__name__)

ARTWORK = {"poster.jpg", "thumbs.jpg", "thumbs.vtt"}
ART_CACHE = "public, max-age=3600"
HLS = CONTENT_TYPES[".m3u8"]
Segments = dict[str, tuple[int, int]]


class Playback:
    """What the playback routes share: keys, caches, leases and edges (one per app)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.keyring = keyring_for(runtime)
        self.tokens = access.VerifiedTokens(self.keyring)
        self.keys_root = keys.keys_root(runtime.secret)
        self.lookup = PlaybackLookup(runtime.db, runtime.settings, runtime.clock)
        # WATERMARK (issue 6): per-session A/B segment resolution, see delivery/variants.py
        self.variants = VariantFiles(runtime.db, runtime.clock, runtime.settings.watermark_code_bits, self.keyring.root)
        self.leases = leases_of(runtime)
        self.edges = EdgeDirectory(runtime)
        self.counters = DeliveryCounters()
        self.playlists: TTLCache[str, tuple[str, Segments]] = TTLCache(2_000)
        # Media playlists as sent (with key tags), by (title folder, path); a re-ingest publishes a new folder.
        self.served: TTLCache[tuple[str, str], bytes] = TTLCache(2_000)
        self.entitlements = SessionEntitlements(runtime.db, runtime.clock)
        self.places = access.Places(runtime)
        self.flights = access.SingleFlight()

    @property
    def signer(self) -> Signer:
        """The signer for now: signs with the current key, verifies every key still in use."""
        return self.keyring.signer(self.runtime.clock.time())

    async def media(self, title_id: int) -> TitleMedia | None:
        found, media = self.lookup.titles.get(title_id)
        if not found:
            media = await self.flights.run(("title", title_id), self.lookup.title, title_id)
        return media

    async def session(self, session_id: str) -> SessionInfo | None:
        found, info = self.lookup.sessions.get(session_id)
        if not found:
            info = await self.flights.run(("session", session_id), self.lookup.session, session_id)
        return info

    def playlist(self, path: Path) -> tuple[str, Segments]:
        """A media playlist's text and its segments' (sequence, key period), cached (blocking)."""
        found, cached = self.playlists.get(str(path))
        if found and cached is not None:
            return cached
        text = path.read_text()
        entry = (text, keys.vod_segments(text, keys.rotation_seconds(self.runtime)))
        self.playlists.put(str(path), entry, 60.0)
        return entry


def playback_of(request: Request) -> Playback:
    """The app's :class:`Playback`, created on first use."""
    state = request.app.state
    if getattr(state, "playback", None) is None:
        state.playback = Playback(state.runtime)
    playback: Playback = state.playback
    return playback


def install(app: FastAPI, runtime: Runtime) -> None:
    """Add the playback routes, the edge health monitor and the delivery metrics to ``app``."""
    app.state.playback = Playback(runtime)
    app.state.components.append(EdgeMonitor(runtime, app.state.playback.leases))
    app.state.metrics.registry.register(DeliveryCollector(runtime, app.state.playback))
    app.include_router(router)


def request_client(request: Request, runtime: Runtime) -> str:
    """The client's address (``X-Forwarded-For`` believed from ``trusted_proxies`` only)."""
    peer = request.client.host if request.client else ""
    return client_address(peer, request.headers.getlist("x-forwarded-for"), runtime.settings.trusted_proxies)


def peer_of(request: Request) -> tuple[str, tuple[str, ...]]:
    """The peer's address and the ``X-Forwarded-For`` values: the key :class:`access.Places` answers by."""
    return (request.client.host if request.client else ""), tuple(request.headers.getlist("x-forwarded-for"))


async def playback_file(request: Request) -> Response:
    """``/p/{token}/t/{title_id}/{path}``: the session's playlists and key, or a file of the title."""
    params = request.path_params
    title_id: int = params["title_id"]
    path: str = params["path"]
    playback = playback_of(request)
    prefix = title_prefix(title_id)
    try:
        grant = playback.tokens.verify(params["token"], prefix, playback.runtime.clock.time())
    except TokenRejected as exc:
        return _forbidden(playback, exc.reason)
    info = await playback.session(grant.session_id)
    if info is None or info.title_id != title_id:
        return _forbidden(playback, "session ended")
    media = await playback.media(title_id)
    if media is None:
        return _not_found()
    period = keys.parse_key_path(path)
    if period is not None:
        return await key_response(request, playback, info, Content(title_id=title_id), f"t{title_id}", period)
    if path.endswith(".m3u8"):
        refusal = await personal_checks(request, playback, info)
        if refusal is not None:
            return _forbidden(playback, refusal)
        if path == "master.m3u8":
            return _master(request, playback, media, params["token"], prefix)
        return await _media_playlist(playback, media, path)
    return await _segment(playback, media, title_id, path, info.id, request)


async def personal_checks(request: Request, playback: Playback, info: SessionInfo) -> str | None:
    """The client, lease and entitlement checks of a playlist request; the refusal reason or None."""
    peer, forwarded = peer_of(request)
    address, territory = playback.places.of(peer, forwarded)
    return await access.playlist_refusal(playback.runtime, playback.leases, playback.entitlements, info, address,
                                         territory, playback.flights, playback.places)  # fmt: skip


async def key_response(
    request: Request, playback: Playback, info: SessionInfo, content: Content, key_content: str, period: int
) -> Response:
    """A content key for a live, entitled session holding its lease; never cacheable."""
    runtime = playback.runtime
    refusal = await run_in_threadpool(access.check_client, runtime, info, request_client(request, runtime))
    if refusal is None:
        territory = playback.places.of(*peer_of(request))[1]  # territory-limited content needs it
        refusal = await run_in_threadpool(access.check_key, runtime, playback.leases, info.id, content, territory)
    if refusal is not None:
        return _forbidden(playback, refusal)
    playback.counters.keys_served += 1
    key = keys.content_key(playback.keys_root, key_content, period)
    return Response(key, media_type="application/octet-stream", headers={"Cache-Control": PRIVATE})


async def channel_key(request: Request) -> Response:
    """``/p/{token}/c/{slug}/keys/{period}.key``: a live channel's content key."""
    params = request.path_params
    playback = playback_of(request)
    slug: str = params["slug"]
    try:
        grant = playback.signer.verify(params["token"], f"/c/{slug}/", playback.runtime.clock.time())
    except TokenRejected as exc:
        return _forbidden(playback, exc.reason)
    info = await playback.session(grant.session_id)
    if info is None or info.channel != slug:
        return _forbidden(playback, "session ended")
    content = Content(channel=slug)
    return await key_response(request, playback, info, content, f"c{slug}", params["period"])


def _master(request: Request, playback: Playback, media: TitleMedia, token: str, prefix: str) -> Response:
    text = render_master(media.renditions)
    region = playback.edges.region(request_client(request, playback.runtime))
    backups = playback.edges.backups(request.headers.get("x-airwave-edge"), region)
    if backups:
        text = playback.edges.redundant(text, backups, f"/p/{token}{prefix}")
    return Response(text, media_type=HLS, headers={"Cache-Control": PRIVATE})


async def _media_playlist(playback: Playback, media: TitleMedia, path: str) -> Response:
    if servable(path) is None:
        return _not_found()
    key = (str(media.folder), path)
    found, cached = playback.served.get(key)
    if found and cached is not None:
        return Response(cached, media_type=HLS, headers={"Cache-Control": PRIVATE})
    try:
        text, _ = await run_in_threadpool(playback.playlist, media.folder / path)
    except OSError:
        return _not_found()
    if playback.runtime.settings.vod_encryption and _encrypted(media, path):
        text = keys.encrypt_vod_playlist(text, keys.rotation_seconds(playback.runtime))
    body = text.encode()
    playback.served.put(key, body, 60.0)
    return Response(body, media_type=HLS, headers={"Cache-Control": PRIVATE})


async def _segment(
    playback: Playback, media: TitleMedia, title_id: int, path: str, session_id: str, request: Request
) -> Response:
    # WATERMARK (issue 6): a marked rendition's segment is this session's A or B copy (code[N mod L]).
    located = await playback.variants.locate(session_id, title_id, media.folder, path)
    peer = request.client.host if request.client else ""
    variant = located.variant if tells_variant(peer, playback.runtime.settings.trusted_proxies) else ""
    if not playback.runtime.settings.vod_encryption or not path.endswith(".m4s") or not _encrypted(media, path):
        return _file(located.folder, located.name, located.cache_control, variant)
    rendition = next(r for r in media.renditions if r.playlist.split("/")[0] == path.split("/", maxsplit=1)[0])
    try:
        _, segments = await run_in_threadpool(playback.playlist, media.folder / rendition.playlist)
    except OSError:
        return _not_found()
    name = path.rsplit("/", 1)[-1]
    if name not in segments or servable(path) is None:
        return _not_found()
    sequence, period = segments[name]
    source = located.folder / located.name  # WATERMARK (issue 6): the variant file, if marked
    copy = await run_in_threadpool(
        keys.encrypted_copy, playback.runtime, f"t{title_id}", source, sequence, period,
        os.path.relpath(source, media.folder.parent),
    )  # fmt: skip
    return _file(copy.parent, copy.name, located.cache_control, variant)


def _encrypted(media: TitleMedia, path: str) -> bool:
    folder = path.split("/", maxsplit=1)[0]
    return any(r.kind in ("video", "audio") and r.playlist.split("/")[0] == folder for r in media.renditions)


async def artwork(request: Request) -> Response:
    """``/art/{title_id}/{name}``: a title's poster, thumbnail sprite or thumbnail track (public)."""
    name: str = request.path_params["name"]
    if name not in ARTWORK:
        return _not_found()
    media = await playback_of(request).media(request.path_params["title_id"])
    if media is None:
        return _not_found()
    return _file(media.folder, name, cache_control=ART_CACHE)


def _file(folder: os.PathLike[str], path: str, cache_control: str | None = None, variant: str = "") -> Response:
    allowed = servable(path)
    if allowed is None:
        return _not_found()
    content_type, default_cache = allowed
    full = os.path.join(folder, path)
    try:
        # A stat is microseconds; doing it here spares FileResponse a thread hop for its own.
        info = os.stat(full)
    except OSError:
        return _not_found()
    if not stat.S_ISREG(info.st_mode):
        return _not_found()
    headers = {"Cache-Control": cache_control or default_cache}
    if variant:  # WATERMARK (issue 6): an edge stores a marked segment only under the variant named here
        headers[VARIANT_HEADER] = variant
    return FileResponse(full, media_type=content_type, headers=headers, stat_result=info)


def _forbidden(playback: Playback, reason: str) -> Response:
    log.info("playback refused: %s", reason)
    playback.counters.refused(reason)
    message = reason if reason == access.STREAM_TAKEN else "this playback link is not valid: start playback again"
    return PlainTextResponse(message, status_code=403, headers={"Cache-Control": PRIVATE})


def _not_found() -> Response:
    return PlainTextResponse("not found", status_code=404)


# Plain Starlette routes: no dependency solving or validation layer on the hot path.
router = APIRouter(include_in_schema=False)
router.add_route("/p/{token}/c/{slug}/keys/{period:int}.key", channel_key, methods=["GET"])
router.add_route("/p/{token}/t/{title_id:int}/{path:path}", playback_file, methods=["GET", "HEAD"])
router.add_route("/art/{title_id:int}/{name}", artwork, methods=["GET", "HEAD"])

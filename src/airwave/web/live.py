"""Live channel routes: ``/p/{token}/c/{slug}/...`` (playlists and segments) and ``/logo/{slug}``.

The master playlist is rendered per session from the feed's renditions and each media playlist from the
channel's segment index, both ``no-store`` (they carry the token and change every segment); segments and
init sections are the same bytes for everyone and cacheable. Playlist requests pass the same session,
client, lease and entitlement checks as on-demand playback (``web.media.personal_checks``): each refresh
renews the session's stream lease, and a lapsed subscription or an ended session gets 403.

Media playlists are rendered for the viewer's territory (``channels.blackouts``: a slate during a blackout
there) and, with ``live_encryption``, encrypted (``channels.encryption``): segments are served only as
their AES-128 copies, keys only by ``web.media.channel_key``; init sections stay clear.

A live media playlist's text is the same for every viewer the same blackout rules apply to (segment URIs are
relative to the token's path), so each rendering is kept for :data:`TEXT_SECONDS` by (channel, path, rules):
``web.front`` answers refreshes from it when every check of the request is decided from memory. A new
segment reaches viewers at most that much later.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

from fastapi import APIRouter, FastAPI
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from airwave.channels import archive, blackouts, encryption
from airwave.channels.feeds import Feed, feed_for
from airwave.channels.meta import PLAYLIST
from airwave.channels.metrics import ChannelCollector
from airwave.channels.playback import channel_prefix
from airwave.channels.service import LOGO_TYPES, logo_dir
from airwave.channels.supervisor import Supervisor
from airwave.delivery import keys
from airwave.delivery.files import CONTENT_TYPES, IMMUTABLE, PRIVATE
from airwave.delivery.lookup import TTLCache
from airwave.delivery.tokens import TokenRejected
from airwave.errors import MediaError
from airwave.hls.live import render_live
from airwave.hls.master import render_master
from airwave.runtime import Runtime
from airwave.store.channels import Channel
from airwave.web.deps import client_territory
from airwave.web.live_marked import marked_file, remember_code
from airwave.web.media import _forbidden, personal_checks, playback_of

log = logging.getLogger(__name__)

HLS = CONTENT_TYPES[".m3u8"]
LOGO_CACHE = "public, max-age=300"
TEXT_SECONDS = 0.5
_channels: TTLCache[tuple[int, str], Channel | None] = TTLCache(5_000)
_texts: TTLCache[tuple[int, str, str, tuple[blackouts.Rule, ...]], bytes] = TTLCache(5_000)


def install(app: FastAPI, runtime: Runtime) -> None:
    """Add the channel routes, the supervisor (a component) and the channel metrics to ``app``."""
    app.state.supervisor = Supervisor(runtime)
    app.state.components.append(app.state.supervisor)
    app.state.metrics.registry.register(ChannelCollector(runtime.db))
    app.include_router(router)


async def channel_of(runtime: Runtime, slug: str) -> Channel | None:
    """The channel row (detached, cached a few seconds)."""
    found, channel = _channels.get((id(runtime), slug))
    if not found:
        channel = await run_in_threadpool(_load, runtime, slug)
        _channels.put((id(runtime), slug), channel, 5.0)
    return channel


def cached_channel(runtime: Runtime, slug: str) -> tuple[bool, Channel | None]:
    """:func:`channel_of` from memory only: ``(False, None)`` when it is not cached."""
    return _channels.get((id(runtime), slug))


def cached_playlist(runtime: Runtime, slug: str, path: str, rules: tuple[blackouts.Rule, ...]) -> bytes | None:
    """The live media playlist ``path`` of channel ``slug`` for viewers under ``rules``, if rendered just now."""
    found, body = _texts.get((id(runtime), slug, path, rules))
    return body if found else None


def _load(runtime: Runtime, slug: str) -> Channel | None:
    with runtime.db.session() as session:
        return session.scalar(select(Channel).where(Channel.slug == slug))


async def channel_file(request: Request) -> Response:
    """``/p/{token}/c/{slug}/{path}``: master, live media playlists, archive playlists, segments."""
    params = request.path_params
    slug: str = params["slug"]
    path: str = params["path"]
    playback = playback_of(request)
    runtime = playback.runtime
    try:
        grant = playback.signer.verify(params["token"], channel_prefix(slug), runtime.clock.time())
    except TokenRejected as exc:
        return _forbidden(playback, exc.reason)
    info = await playback.session(grant.session_id)
    if info is None or info.channel != slug:
        return _forbidden(playback, "session ended")
    channel = await channel_of(runtime, slug)
    if channel is None:
        return _not_found()
    feed = feed_for(runtime, channel)
    if not path.endswith(".m3u8"):
        if channel.kind == "live":  # WATERMARK (issue 6): a marked run's files are this session's A/B copy
            marked = await marked_file(request, runtime, slug, path, info.id)
            if marked is not None:
                return marked
        return await _segment(runtime, channel, feed, path)
    refusal = await personal_checks(request, playback, info)
    if refusal is not None:
        return _forbidden(playback, refusal)
    if channel.watermark:  # WATERMARK (issue 6): an edge may serve every segment from its cache; trace needs the code
        await remember_code(request, runtime, slug, info.id)
    try:
        text = await run_in_threadpool(_playlist, runtime, channel, feed, path, client_territory(request), info.user_id)
    except MediaError as exc:
        log.warning("blackout of %s: %s", slug, exc)
        message = f"{channel.name} is blacked out in your area just now: try again after this programme"
        return PlainTextResponse(message, status_code=403, headers={"Cache-Control": PRIVATE})
    if text is None:
        return _not_found()
    return Response(text, media_type=HLS, headers={"Cache-Control": PRIVATE})


def viewer_feed(runtime: Runtime, channel: Channel, feed: Feed, rules: tuple[blackouts.Rule, ...]) -> Feed:
    """``feed`` as a viewer under blackout ``rules`` sees it (``blackouts.viewer_rules``). Blocking: may make
    the slate.

    Raises:
        MediaError: a blackout is in the DVR window but its slate cannot be made.
    """
    if not rules:
        return feed
    now = runtime.clock.now()
    oldest = now - dt.timedelta(hours=channel.dvr_hours)
    grid = blackouts.grid_of(runtime, feed)
    if any(rule.stop > oldest and rule.start <= now for rule in rules):
        blackouts.ensure_slate(runtime, channel, feed)
    return blackouts.BlackoutFeed(feed, rules, blackouts.slate_folder(runtime, channel, grid), grid)


def _playlist(
    runtime: Runtime, channel: Channel, feed: Feed, path: str, territory: str | None, user_id: int
) -> str | None:
    if path == "master.m3u8":
        renditions = feed.renditions()
        return render_master(renditions) if renditions else None
    rules = blackouts.viewer_rules(runtime, channel.id, territory, user_id)
    text = _media_playlist(runtime, channel, viewer_feed(runtime, channel, feed, rules), path)
    if text is None:
        return None
    if runtime.settings.live_encryption and not path.endswith("master.m3u8"):  # archive masters list no segments
        text = encryption.protect_playlist(text, lambda moment: keys.live_period(runtime, moment))
    if not path.startswith("archive/"):  # the live window, kept a moment; archive playlists are made per request
        _texts.put((id(runtime), channel.slug, path, rules), text.encode(), TEXT_SECONDS)
    return text


def _media_playlist(runtime: Runtime, channel: Channel, feed: Feed, path: str) -> str | None:
    if path.startswith("archive/"):
        rendered: str | None = archive.render_archive(runtime, channel, feed, path.removeprefix("archive/"))
        return rendered
    rendition, _, name = path.partition("/")
    if name != PLAYLIST or rendition not in {r.name for r in feed.renditions()}:
        return None
    segments = feed.segments(rendition, None, None)
    # The playlist sits in "<rendition>/", segment URIs are relative to the channel root.
    return render_live(segments, feed.target_duration(), window=None, endlist=False, playlist_type=None, prefix="../")


async def _segment(runtime: Runtime, channel: Channel, feed: Feed, path: str) -> Response:
    if not runtime.settings.live_encryption or path.endswith(".mp4"):  # init sections stay clear
        full = await run_in_threadpool(_resolve, runtime, channel, feed, path)
    else:
        parsed = encryption.parse_path(path)
        full = await run_in_threadpool(_encrypted, runtime, channel, feed, parsed) if parsed else None
    if full is None:
        return _not_found()
    media_type = CONTENT_TYPES.get(os.path.splitext(path)[1], "application/octet-stream")
    return FileResponse(full, media_type=media_type, headers={"Cache-Control": IMMUTABLE})


def _resolve(runtime: Runtime, channel: Channel, feed: Feed, uri: str) -> Path | None:
    if uri.startswith(blackouts.FOLDER + "/"):
        return blackouts.slate_file(blackouts.slate_folder(runtime, channel, blackouts.grid_of(runtime, feed)), uri)
    return feed.resolve(uri)


def _encrypted(runtime: Runtime, channel: Channel, feed: Feed, parsed: encryption.EncryptedPath) -> Path | None:
    """The encrypted copy of a listed segment, made on first request (blocking)."""
    folder = encryption.encrypted_folder(runtime.settings.data, channel.slug)
    target = folder / parsed.name
    if target.is_file():
        return target
    source = _resolve(runtime, channel, feed, parsed.uri)
    if source is None or not _listed(runtime, channel, feed, parsed):
        return None
    fresh_period = not (folder / str(parsed.period)).exists()
    copy = keys.encrypted_copy(runtime, f"c{channel.slug}", source, parsed.msn, parsed.period, parsed.name)
    if fresh_period:
        oldest = runtime.clock.now() - dt.timedelta(hours=channel.dvr_hours)
        encryption.prune_periods(folder, keys.live_period(runtime, oldest) - 2)
    return copy


def _listed(runtime: Runtime, channel: Channel, feed: Feed, parsed: encryption.EncryptedPath) -> bool:
    """Whether some viewer's playlist lists ``parsed``: that segment, or the slate in its place."""
    start, end = encryption.period_range(parsed.period, keys.rotation_seconds(runtime))
    slate = blackouts.slate_folder(runtime, channel, blackouts.grid_of(runtime, feed))
    for rendition in feed.renditions():
        for segment in feed.segments(rendition.name, start, end):
            if segment.msn != parsed.msn:
                continue
            if parsed.uri == segment.uri or parsed.uri == blackouts.slate_uri_for(slate, rendition.name, segment.msn):
                return True
    return False


async def logo(request: Request) -> Response:
    """``/logo/{slug}``: a channel's logo (public: IPTV apps and the guide show it)."""
    runtime = playback_of(request).runtime
    channel = await channel_of(runtime, request.path_params["slug"])
    if channel is None or not channel.logo:
        return _not_found()
    suffix = os.path.splitext(channel.logo)[1]
    full = logo_dir(runtime.settings, channel.slug) / channel.logo
    if suffix not in LOGO_TYPES or not full.is_file():
        return _not_found()
    return FileResponse(full, media_type=LOGO_TYPES[suffix], headers={"Cache-Control": LOGO_CACHE})


def _not_found() -> Response:
    return PlainTextResponse("not found", status_code=404, headers={"Cache-Control": "no-store"})


router = APIRouter(include_in_schema=False)
router.add_route("/p/{token}/c/{slug}/{path:path}", channel_file, methods=["GET", "HEAD"])
router.add_route("/logo/{slug}", logo, methods=["GET", "HEAD"])

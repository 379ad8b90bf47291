"""Live channel routes: ``/p/{token}/c/{slug}/...`` (playlists and segments) and ``/logo/{slug}``.

The master playlist is rendered per session from the feed's renditions and each media playlist from the
channel's segment index, both ``no-store`` (they carry the token and change every segment); segments and
init sections are the same bytes for everyone and cacheable. Playlist requests pass the same session,
client, lease and entitlement checks as on-demand playback (``web.media.personal_checks``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from airwave.channels.feeds import Feed, feed_for
from airwave.channels.meta import PLAYLIST
from airwave.channels.metrics import ChannelCollector
from airwave.channels.playback import channel_prefix
from airwave.channels.service import LOGO_TYPES, logo_dir
from airwave.channels.supervisor import Supervisor
from airwave.delivery.files import CONTENT_TYPES, IMMUTABLE, PRIVATE
from airwave.delivery.lookup import TTLCache
from airwave.delivery.tokens import TokenRejected
from airwave.hls.live import render_live
from airwave.hls.master import render_master
from airwave.store.channels import Channel
from airwave.web.media import _forbidden, personal_checks, playback_of

if TYPE_CHECKING:
    from airwave.runtime import Runtime

HLS = CONTENT_TYPES[".m3u8"]
LOGO_CACHE = "public, max-age=300"
_channels: TTLCache[tuple[int, str], Channel | None] = TTLCache(5_000)


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
        return await _segment(feed, path)
    refusal = await personal_checks(request, playback, info)
    if refusal is not None:
        return _forbidden(playback, refusal)
    text = await run_in_threadpool(_playlist, runtime, channel, feed, path)
    if text is None:
        return _not_found()
    return Response(text, media_type=HLS, headers={"Cache-Control": PRIVATE})


def _playlist(runtime: Runtime, channel: Channel, feed: Feed, path: str) -> str | None:
    if path == "master.m3u8":
        renditions = feed.renditions()
        return render_master(renditions) if renditions else None
    if path.startswith("archive/"):
        try:
            from airwave.channels import archive
        except ImportError:
            return None
        rendered: str | None = archive.render_archive(runtime, channel, feed, path.removeprefix("archive/"))
        return rendered
    rendition, _, name = path.partition("/")
    if name != PLAYLIST or rendition not in {r.name for r in feed.renditions()}:
        return None
    segments = feed.segments(rendition, None, None)
    # The playlist sits in "<rendition>/", segment URIs are relative to the channel root.
    return render_live(segments, feed.target_duration(), window=None, endlist=False, playlist_type=None, prefix="../")


async def _segment(feed: Feed, path: str) -> Response:
    full = await run_in_threadpool(feed.resolve, path)
    if full is None:
        return _not_found()
    media_type = CONTENT_TYPES.get(os.path.splitext(path)[1], "application/octet-stream")
    return FileResponse(full, media_type=media_type, headers={"Cache-Control": IMMUTABLE})


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

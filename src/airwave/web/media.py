"""Playback routes under ``/p/{token}/t/{title_id}/`` and public artwork under ``/art/{title_id}/``.

This is the hot path. A request is checked by the pure token code (no database), the session's liveness
and the title's folder come from short-lived caches, and files go out as ``FileResponse``: the server sends
them by ``http.response.pathsend`` (granian) or sendfile, never through a Python read loop. The master
playlist is the one response rendered per session.
"""

from __future__ import annotations

import logging
import os
import stat

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from airwave.delivery.files import CONTENT_TYPES, PRIVATE, servable
from airwave.delivery.lookup import PlaybackLookup, TitleMedia
from airwave.delivery.playback import title_prefix
from airwave.delivery.tokens import Signer, TokenRejected
from airwave.hls.master import render_master
from airwave.runtime import Runtime

log = logging.getLogger(__name__)

ARTWORK = {"poster.jpg", "thumbs.jpg", "thumbs.vtt"}
ART_CACHE = "public, max-age=3600"


class Playback:
    """What the playback routes share: the signer and the lookup caches (one per app)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.signer = Signer.from_secret(runtime.secret)
        self.lookup = PlaybackLookup(runtime.db, runtime.settings, runtime.clock)

    async def media(self, title_id: int) -> TitleMedia | None:
        found, media = self.lookup.titles.get(title_id)
        if not found:
            media = await run_in_threadpool(self.lookup.title, title_id)
        return media

    async def live(self, session_id: str, title_id: int) -> bool:
        found, live = self.lookup.sessions.get(session_id)
        if not found:
            live = await run_in_threadpool(self.lookup.session, session_id, title_id)
        return bool(live)


def playback_of(request: Request) -> Playback:
    """The app's :class:`Playback`, created on first use."""
    state = request.app.state
    if getattr(state, "playback", None) is None:
        state.playback = Playback(state.runtime)
    playback: Playback = state.playback
    return playback


async def playback_file(request: Request) -> Response:
    """``/p/{token}/t/{title_id}/{path}``: the session's master playlist, or a file of the title."""
    params = request.path_params
    title_id: int = params["title_id"]
    path: str = params["path"]
    playback = playback_of(request)
    try:
        grant = playback.signer.verify(params["token"], title_prefix(title_id), playback.runtime.clock.time())
    except TokenRejected as exc:
        return _forbidden(exc.reason)
    if not await playback.live(grant.session_id, title_id):
        return _forbidden("session ended")
    media = await playback.media(title_id)
    if media is None:
        return _not_found()
    if path == "master.m3u8":
        headers = {"Cache-Control": PRIVATE}
        return Response(render_master(media.renditions), media_type=CONTENT_TYPES[".m3u8"], headers=headers)
    return _file(media.folder, path)


async def artwork(request: Request) -> Response:
    """``/art/{title_id}/{name}``: a title's poster, thumbnail sprite or thumbnail track (public)."""
    name: str = request.path_params["name"]
    if name not in ARTWORK:
        return _not_found()
    media = await playback_of(request).media(request.path_params["title_id"])
    if media is None:
        return _not_found()
    return _file(media.folder, name, cache_control=ART_CACHE)


def _file(folder: os.PathLike[str], path: str, cache_control: str | None = None) -> Response:
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
    return FileResponse(full, media_type=content_type, headers=headers, stat_result=info)


def _forbidden(reason: str) -> Response:
    log.debug("playback refused: %s", reason)
    return PlainTextResponse("this playback link is not valid: start playback again", status_code=403)


def _not_found() -> Response:
    return PlainTextResponse("not found", status_code=404)


# Plain Starlette routes: no dependency solving or validation layer on the hot path.
router = APIRouter(include_in_schema=False)
router.add_route("/p/{token}/t/{title_id:int}/{path:path}", playback_file, methods=["GET", "HEAD"])
router.add_route("/art/{title_id:int}/{name}", artwork, methods=["GET", "HEAD"])

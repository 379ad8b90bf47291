"""The channel route's watermark step: a marked run's init and segments as this session's A/B copy.

See :mod:`airwave.channels.marked`. With ``live_encryption`` a segment is asked for as
``enc/<period>/<msn>/<uri>``: the variant is chosen the same way, the request's msn and key period must be
the indexed segment's (so a client cannot make the origin encrypt arbitrary copies), and the encrypted copy
is kept per variant (``<period>/<msn>/<variant>/<uri>``), beside the channel's other encrypted copies.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from airwave.channels import encryption
from airwave.channels.feeds import channel_dir
from airwave.channels.marked import LiveVariants, MarkedFile
from airwave.delivery import keys
from airwave.delivery.files import CONTENT_TYPES
from airwave.runtime import Runtime
from airwave.web.media import playback_of


def live_variants(request: Request, runtime: Runtime) -> LiveVariants:
    """The app's resolver, created on first use."""
    state = request.app.state
    if getattr(state, "live_variants", None) is None:
        root = playback_of(request).keyring.root  # the token root: codes as an edge derives them
        state.live_variants = LiveVariants(runtime.db, runtime.clock, runtime.settings.watermark_code_bits, root)
    variants: LiveVariants = state.live_variants
    return variants


async def marked_file(request: Request, runtime: Runtime, slug: str, path: str, session_id: str) -> Response | None:
    """The response for ``path`` when it belongs to a marked run of channel ``slug``; None otherwise."""
    resolver = live_variants(request, runtime)
    folder = channel_dir(runtime.settings, slug)
    encrypted = encryption.parse_path(path)
    marked = resolver.marked_run(folder, encrypted.uri if encrypted else path)
    if marked is None:
        return None
    located = await run_in_threadpool(resolver.locate, session_id, slug, folder, marked)
    if located.path is None or not located.path.is_file():
        return _not_found()
    if encrypted is None:
        return _send(located, located.path)
    if located.entry is None or not _fits(runtime, located, encrypted):
        return _not_found()
    name = f"{encrypted.period}/{encrypted.msn}/{located.variant}/{encrypted.uri}"
    copy = await run_in_threadpool(
        keys.encrypted_copy, runtime, f"c{slug}", located.path, encrypted.msn, encrypted.period, name
    )
    return _send(located, copy)


def _fits(runtime: Runtime, located: MarkedFile, encrypted: encryption.EncryptedPath) -> bool:
    assert located.entry is not None
    start = dt.datetime.fromtimestamp(located.entry.start, dt.UTC)
    # A date recomputed from durations may land a few milliseconds across a period boundary.
    return located.entry.msn == encrypted.msn and abs(keys.live_period(runtime, start) - encrypted.period) <= 1


def _send(located: MarkedFile, path: Path) -> Response:
    media_type = CONTENT_TYPES.get(path.suffix, "application/octet-stream")
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": located.cache_control})


def _not_found() -> Response:
    return PlainTextResponse("not found", status_code=404, headers={"Cache-Control": "no-store"})

"""The channel route's watermark step: a marked run's init and segments as this session's A/B copy.

See :mod:`airwave.channels.marked`. With ``live_encryption`` a segment is asked for as
``enc/<period>/<msn>/<uri>``: the variant is chosen the same way, the request's msn and key period must be
the indexed segment's (so a client cannot make the origin encrypt arbitrary copies), and the encrypted copy
is kept per variant (``<period>/<msn>/<variant>/<uri>``), beside the channel's other encrypted copies.

An edge names the variant it keys its cache on in ``X-Airwave-Variant`` (``edge_config``). From a trusted
proxy, for an encrypted segment, the origin confirms it: when it is the variant the session's code gives,
the response names it back in the same header, which lets the edge store the ``private`` response under it
(the edge hides the header from clients). The origin never serves a variant because it was named: a plain
load balancer among the trusted proxies may pass a client's header on, and a client must not pick its copy.
An edge whose code disagrees (another token root or code length) gets the session's own copy unnamed, which
it passes on without storing, and the origin logs the disagreement.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from airwave.channels import encryption
from airwave.channels.feeds import channel_dir
from airwave.channels.marked import LiveVariants, MarkedFile
from airwave.delivery import keys
from airwave.delivery.files import CONTENT_TYPES
from airwave.delivery.variants import VARIANT_HEADER, tells_variant
from airwave.runtime import Runtime
from airwave.watermark.variants import VARIANT_NAMES
from airwave.web.media import playback_of

log = logging.getLogger(__name__)


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
    return _send(located, copy, _confirmed(request, runtime, located, slug, session_id))


async def remember_code(request: Request, runtime: Runtime, slug: str, session_id: str) -> None:
    """Store the session's code for channel ``slug`` if it is not yet (called as it asks for a playlist)."""
    resolver = live_variants(request, runtime)
    if not resolver.knows(session_id):
        await run_in_threadpool(resolver.code, session_id, slug)


def _confirmed(request: Request, runtime: Runtime, located: MarkedFile, slug: str, session_id: str) -> str:
    """The variant to name back to an edge that asked for the one it serves; "" to name none."""
    named = request.headers.get(VARIANT_HEADER, "")
    peer = request.client.host if request.client else ""
    if named not in VARIANT_NAMES or not tells_variant(peer, runtime.settings.trusted_proxies):
        return ""
    if named != located.variant:
        log.warning("edge at %s asked for variant %s of a segment of channel %s where session %s has %s: check "
                    "the edge's token root and watermark_code_bits", peer, named, slug, session_id,
                    located.variant)  # fmt: skip
        return ""
    return named


def _fits(runtime: Runtime, located: MarkedFile, encrypted: encryption.EncryptedPath) -> bool:
    assert located.entry is not None
    start = dt.datetime.fromtimestamp(located.entry.start, dt.UTC)
    # A date recomputed from durations may land a few milliseconds across a period boundary.
    return located.entry.msn == encrypted.msn and abs(keys.live_period(runtime, start) - encrypted.period) <= 1


def _send(located: MarkedFile, path: Path, confirmed: str = "") -> Response:
    media_type = CONTENT_TYPES.get(path.suffix, "application/octet-stream")
    headers = {"Cache-Control": located.cache_control}
    if confirmed:  # for the edge that asked: it stores the response under this variant only
        headers[VARIANT_HEADER] = confirmed
    return FileResponse(path, media_type=media_type, headers=headers)


def _not_found() -> Response:
    return PlainTextResponse("not found", status_code=404, headers={"Cache-Control": "no-store"})

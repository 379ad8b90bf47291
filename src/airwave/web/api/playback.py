"""``/api/v1/playback``: start a playback session (a signed master playlist URL), list, renew and end them.

A start passes the start-rate limit and takes a concurrent-stream lease; beyond the plan's limit it gets 429
listing the sessions in use, so the viewer can end one with ``DELETE``. The URL points at a healthy edge in
the client's region when edges are registered, else at the origin (a path).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from airwave.delivery import binding
from airwave.delivery.admission import active_sessions, admit
from airwave.delivery.limits import lease_seconds
from airwave.delivery.playback import end_session, new_session_id, start_title
from airwave.delivery.variants import store_code
from airwave.errors import Forbidden, NotFound
from airwave.store.tables import PlaybackSession, Title
from airwave.web.api.channels import start_channel_playback
from airwave.web.api.common import ApiUser, errors
from airwave.web.api.schemas import PlaybackIn, PlaybackOut
from airwave.web.deps import DbSession, check_csrf, client_ip, client_territory, get_runtime
from airwave.web.media import playback_of

router = APIRouter(prefix="/playback", tags=["playback"], dependencies=[Depends(check_csrf)])


@router.post("", status_code=201, responses=errors(400, 401, 403, 404, 409, 422, 429))
def start(body: PlaybackIn, request: Request, user: ApiUser, session: DbSession) -> PlaybackOut:
    """Start watching a film, an episode or a channel; returns the session and its master playlist URL."""
    if body.channel is not None:
        return start_channel_playback(body, request, user, session)
    assert body.title is not None
    runtime = get_runtime(request)
    playback = playback_of(request)
    session_id = new_session_id()
    ttl = lease_seconds(runtime, PlaybackSession(title_id=body.title))
    admit(session, runtime, playback.leases, user, session_id, ttl)
    address = client_ip(request)
    try:
        started = start_title(
            session,
            runtime.clock,
            playback.signer,
            user,
            body.title,
            ttl_seconds=runtime.settings.playback_ttl_seconds,
            client_ip=address,
            user_agent=request.headers.get("user-agent", ""),
            session_id=session_id,
            territory=client_territory(request),
            binding=binding.for_start(session, runtime.settings, user, address),
        )
    except BaseException:
        playback.leases.release(user.id, session_id)
        raise
    if session.get_one(Title, body.title).watermark:
        store_code(session, runtime.clock, session_id, body.title, runtime.settings.watermark_code_bits,
                   playback.keyring.root)  # fmt: skip
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.playback_started.inc()
    edge = playback.edges.for_session(address)
    url = f"{edge.url}{started.url}" if edge is not None else started.url
    return PlaybackOut(session_id=started.session_id, url=url, expires_at=started.expires_at,
                       resume_from=started.resume_from)  # fmt: skip


@router.get("", responses=errors(401))
def list_sessions(request: Request, user: ApiUser, session: DbSession) -> dict[str, Any]:
    """The account's playback sessions that have not ended or expired."""
    return {"sessions": active_sessions(session, get_runtime(request), user)}


@router.post("/{session_id}/heartbeat", status_code=204, responses=errors(401, 403, 404))
def heartbeat(session_id: str, request: Request, user: ApiUser, session: DbSession) -> Response:
    """Keep the session's stream lease while playing (players call it every ``lease_seconds`` / 3 or so).

    Raises 403 when the session ended or lost its stream to another device.
    """
    row = session.get(PlaybackSession, session_id)
    if row is None or (row.user_id != user.id and user.role != "admin"):
        raise NotFound(f"no playback session {session_id}")
    if row.ended_at is not None or not playback_of(request).leases.renew(session_id):
        raise Forbidden("this playback session has ended or lost its stream to another device: start again")
    return Response(status_code=204)


@router.delete("/{session_id}", status_code=204, responses=errors(401, 403, 404))
def end(session_id: str, request: Request, user: ApiUser, session: DbSession) -> Response:
    """End a playback session: its URLs and keys stop working and its stream is free. Owner or admin only."""
    row = end_session(session, get_runtime(request).clock, session_id, user)
    playback = playback_of(request)
    playback.lookup.forget_session(session_id)
    playback.leases.release(row.user_id, session_id)
    return Response(status_code=204)

"""``/api/v1/playback``: start a playback session (a signed master playlist URL) and end it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from airwave.delivery.playback import end_session, start_title
from airwave.web.api.common import ApiUser, errors
from airwave.web.api.schemas import PlaybackIn, PlaybackOut
from airwave.web.deps import DbSession, check_csrf, get_runtime
from airwave.web.media import playback_of

router = APIRouter(prefix="/playback", tags=["playback"], dependencies=[Depends(check_csrf)])


@router.post("", status_code=201, responses=errors(400, 401, 403, 404, 409, 422))
def start(body: PlaybackIn, request: Request, user: ApiUser, session: DbSession) -> PlaybackOut:
    """Start watching a film or an episode; returns the session and its master playlist URL."""
    runtime = get_runtime(request)
    started = start_title(
        session,
        runtime.clock,
        playback_of(request).signer,
        user,
        body.title,
        ttl_seconds=runtime.settings.playback_ttl_seconds,
        client_ip=request.client.host if request.client else "",
        user_agent=request.headers.get("user-agent", ""),
    )
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.playback_started.inc()
    return PlaybackOut(
        session_id=started.session_id, url=started.url, expires_at=started.expires_at, resume_from=started.resume_from
    )


@router.delete("/{session_id}", status_code=204, responses=errors(401, 403, 404))
def end(session_id: str, request: Request, user: ApiUser, session: DbSession) -> Response:
    """End a playback session: its URLs stop working. Only its owner or an admin may."""
    end_session(session, get_runtime(request).clock, session_id, user)
    playback_of(request).lookup.forget_session(session_id)
    return Response(status_code=204)

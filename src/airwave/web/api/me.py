"""``/api/v1/me`` and ``/api/v1/progress``: the signed-in account and where it stopped watching."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from airwave.catalog.titles import get_title
from airwave.channels.iptv import iptv_links, regenerate
from airwave.delivery.progress import get_progress, resume_point, save_progress
from airwave.errors import BadRequest
from airwave.web.api.common import ApiUser, errors
from airwave.web.api.schemas import IptvLinks, MeOut, ProgressIn, ProgressOut
from airwave.web.deps import DbSession, check_csrf, get_runtime

router = APIRouter(tags=["account"], dependencies=[Depends(check_csrf)])


@router.get("/me", responses=errors(401))
def me(request: Request, user: ApiUser, session: DbSession) -> MeOut:
    """The signed-in account, with its personal IPTV links (M3U playlist and XMLTV guide)."""
    out = MeOut.model_validate(user, from_attributes=True)
    return out.model_copy(update={"iptv": _iptv(request, session, user)})


@router.post("/me/iptv/regenerate", responses=errors(401))
def regenerate_iptv(request: Request, user: ApiUser, session: DbSession) -> IptvLinks:
    """Revoke the account's IPTV links (a leaked playlist stops working) and issue new ones."""
    regenerate(session, user, get_runtime(request).clock)
    return _iptv(request, session, user)


def _iptv(request: Request, session: DbSession, user: ApiUser) -> IptvLinks:
    runtime = get_runtime(request)
    base = runtime.settings.public_url or str(request.base_url).rstrip("/")
    return IptvLinks(**iptv_links(session, user, base, runtime.clock))


@router.get("/progress/{title_id}", responses=errors(401, 404))
def read_progress(title_id: int, user: ApiUser, session: DbSession) -> ProgressOut:
    """Where the account stopped in a title (position 0 if never played)."""
    get_title(session, title_id)
    progress = get_progress(session, user.id, title_id)
    if progress is None:
        return ProgressOut(title_id=title_id, position=0, duration=0, updated_at=None, resume_from=0)
    return ProgressOut(
        title_id=title_id,
        position=progress.position,
        duration=progress.duration,
        updated_at=progress.updated_at,
        resume_from=resume_point(progress),
    )


@router.put("/progress/{title_id}", responses=errors(400, 401, 403, 404, 422))
def write_progress(title_id: int, body: ProgressIn, request: Request, user: ApiUser, session: DbSession) -> ProgressOut:
    """Record where the account is in a title (players call this every few seconds)."""
    title = get_title(session, title_id)
    if title.kind == "series":
        raise BadRequest(f"{title.name!r} is a series: record progress on its episodes")
    clock = get_runtime(request).clock
    progress = save_progress(session, clock, user.id, title_id, position=body.position, duration=body.duration)
    return ProgressOut(
        title_id=title_id,
        position=progress.position,
        duration=progress.duration,
        updated_at=progress.updated_at,
        resume_from=resume_point(progress),
    )

"""``/api/v1/titles``: browse and search the catalogue; admins create, edit and delete."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from airwave.accounts import audit
from airwave.accounts.rights import Audience
from airwave.catalog import titles
from airwave.store.tables import Title
from airwave.web.api.common import ApiAdmin, ApiUser, errors
from airwave.web.api.schemas import (
    RenditionOut,
    SeasonOut,
    ThumbnailsOut,
    TitleCreate,
    TitleDetail,
    TitleList,
    TitleOut,
    TitleUpdate,
)
from airwave.web.deps import DbSession, actor, audience, check_csrf, get_runtime
from airwave.web.media import playback_of

Kind = Literal["film", "series", "episode"]
router = APIRouter(prefix="/titles", tags=["titles"], dependencies=[Depends(check_csrf)])


@router.get("", responses=errors(400, 401))
def list_titles(
    request: Request,
    _user: ApiUser,
    session: DbSession,
    q: Annotated[str | None, Query(description="Text in the name, description or a genre (any case).")] = None,
    kind: Annotated[
        Literal["film", "series", "episode"] | None, Query(description="Default: films and series.")
    ] = None,
    genre: Annotated[str | None, Query(description="Only titles in this genre.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> TitleList:
    """List or search the catalogue, newest first."""
    found = titles.list_titles(
        session, query=q, kind=kind, genre=genre, limit=limit, offset=offset, audience=audience(request)
    )
    return TitleList(items=[title_out(session, item) for item in found], limit=limit, offset=offset)


@router.get("/{title_id}", responses=errors(401, 404))
def get_title(title_id: int, request: Request, _user: ApiUser, session: DbSession) -> TitleDetail:
    """One title with its renditions, thumbnails and (for a series) episodes by season."""
    viewer = audience(request)
    return title_detail(session, titles.visible_title(session, title_id, viewer), viewer)


@router.post("", status_code=201, responses=errors(400, 401, 403, 404, 422))
def create_title(body: TitleCreate, request: Request, _admin: ApiAdmin, session: DbSession) -> TitleDetail:
    """Add a title without media, typically a series; films and episodes get media by ingest."""
    created = titles.create_title(session, get_runtime(request).clock, **body.model_dump())
    return title_detail(session, created)


@router.patch("/{title_id}", responses=errors(400, 401, 403, 404, 422))
def update_title(
    title_id: int, body: TitleUpdate, request: Request, _admin: ApiAdmin, session: DbSession
) -> TitleDetail:
    """Change a title's details; only the fields sent change."""
    changes = body.model_dump(exclude_unset=True)
    updated = titles.update_title(session, get_runtime(request).clock, title_id, **changes)
    return title_detail(session, updated)


@router.delete("/{title_id}", status_code=204, responses=errors(401, 403, 404))
def delete_title(title_id: int, request: Request, admin: ApiAdmin, session: DbSession) -> Response:
    """Delete a title and its media files; a series goes with all its episodes."""
    doomed = [title_id, *(item.id for item in titles.episodes(session, title_id))]
    runtime = get_runtime(request)
    detail = titles.describe_deletion(session, title_id)
    titles.delete_title(session, runtime.settings, title_id)
    audit.record(session, runtime.clock, actor(request, admin), "title.delete", f"title:{title_id}", detail)
    for item in doomed:
        playback_of(request).lookup.titles.drop(item)
    return Response(status_code=204)


def title_out(session: Session, title: Title) -> TitleOut:
    """The summary of a title as the API shows it."""
    return TitleOut(
        id=title.id,
        kind=title.kind,
        name=title.name,
        description=title.description,
        year=title.year,
        genres=[genre.name for genre in title.genres],
        duration=title.duration,
        poster_url=poster_url(session, title),
        parent_id=title.parent_id,
        season=title.season,
        episode=title.episode,
        playable=bool(title.media_path and title.renditions),
        created_at=title.created_at,
        updated_at=title.updated_at,
    )


def title_detail(session: Session, title: Title, viewer: Audience | None = None) -> TitleDetail:
    """A title with everything a title page needs (a series: the episodes licensed for ``viewer``)."""
    seasons = []
    if title.kind == "series":
        grouped = titles.episodes_by_season(session, title.id, viewer)
        seasons = [
            SeasonOut(season=number, episodes=[title_out(session, item) for item in items])
            for number, items in grouped.items()
        ]
    return TitleDetail(
        **title_out(session, title).model_dump(),
        renditions=[RenditionOut.model_validate(r, from_attributes=True) for r in title.renditions],
        thumbnails=thumbnails_out(title),
        seasons=seasons,
    )


def poster_url(session: Session, title: Title) -> str | None:
    """The public poster URL; a series without its own borrows its first episode's."""
    if title.poster and title.media_path:
        return f"/art/{title.id}/poster.jpg"
    if title.kind == "series":
        for item in titles.episodes(session, title.id):
            if item.poster and item.media_path:
                return f"/art/{item.id}/poster.jpg"
    return None


def thumbnails_out(title: Title) -> ThumbnailsOut | None:
    """The thumbnail sprite and track of a title, when ingest made them."""
    geometry = title.thumbnails
    if not geometry or not title.media_path:
        return None
    try:
        return ThumbnailsOut(
            sprite_url=f"/art/{title.id}/thumbs.jpg",
            vtt_url=f"/art/{title.id}/thumbs.vtt",
            interval=float(geometry["interval"]),
            width=int(geometry["width"]),
            height=int(geometry["height"]),
            columns=int(geometry["columns"]),
            count=int(geometry["count"]),
        )
    except (KeyError, TypeError, ValueError):
        return None

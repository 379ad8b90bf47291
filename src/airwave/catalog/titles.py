"""The catalogue service: films, series and their episodes, genres, search, edit and delete.

Every function takes the caller's SQLAlchemy session (one unit of work); none commits. A title's media
lives in ``<media_dir>/<Title.media_path>/``; deleting the title removes that folder once the deletion
is committed.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import event, exists, func, or_, select
from sqlalchemy.orm import Session

from airwave.accounts.rights import Audience, available_clause, require_visible
from airwave.clock import Clock
from airwave.config import Settings
from airwave.errors import BadRequest, NotFound
from airwave.store.tables import Genre, Title, TitleGenre

log = logging.getLogger(__name__)

KINDS = ("film", "series", "episode")
EDITABLE = frozenset({"name", "description", "year", "genres", "season", "episode", "duration", "watermark"})


def create_title(
    session: Session,
    clock: Clock,
    *,
    name: str,
    kind: str = "film",
    description: str = "",
    year: int | None = None,
    genres: Iterable[str] = (),
    parent_id: int | None = None,
    season: int | None = None,
    episode: int | None = None,
) -> Title:
    """Add a title to the catalogue (without media; ingest attaches that).

    An episode needs ``parent_id`` of a series; films and series take no parent, season or episode.

    Raises:
        BadRequest: a field is invalid (the message names it).
        NotFound: ``parent_id`` names no title.
    """
    if kind not in KINDS:
        raise BadRequest(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
    _check_placement(session, kind, parent_id, season, episode)
    now = clock.now()
    title = Title(
        kind=kind,
        name=_clean_name(name),
        description=description.strip(),
        year=_check_year(year),
        parent_id=parent_id,
        season=season,
        episode=episode,
        watermark=False,
        created_at=now,
        updated_at=now,
    )
    title.genres = _genres(session, genres)
    session.add(title)
    session.flush()
    return title


def find_or_create_series(session: Session, clock: Clock, name: str) -> Title:
    """Return the series called ``name`` (any case), creating it if there is none."""
    name = _clean_name(name)
    found = session.scalar(
        select(Title).where(Title.kind == "series", func.lower(Title.name) == name.lower()).order_by(Title.id)
    )
    return found or create_title(session, clock, name=name, kind="series")


def get_title(session: Session, title_id: int) -> Title:
    """Return the title with this id.

    Raises:
        NotFound: there is none.
    """
    title = session.get(Title, title_id)
    if title is None:
        raise NotFound(f"no title with id {title_id}")
    return title


def visible_title(session: Session, title_id: int, audience: Audience | None) -> Title:
    """The title, if ``audience`` may see it (an episode within its series' rights too); staff pass None.

    Raises:
        NotFound: no such title, or not licensed for this audience (the two look the same).
    """
    title = get_title(session, title_id)
    parent = get_title(session, title.parent_id) if title.parent_id is not None else None
    return require_visible(title, audience, parent)


def list_titles(
    session: Session,
    *,
    query: str | None = None,
    kind: str | None = None,
    genre: str | None = None,
    limit: int = 50,
    offset: int = 0,
    audience: Audience | None = None,
) -> list[Title]:
    """Titles, newest first.

    Args:
        query: case-insensitive text found in the name, description or a genre.
        kind: "film", "series" or "episode"; None lists films and series (not episodes).
        genre: a genre name (any case).
        limit: at most this many (1..500).
        offset: skip this many.
        audience: a subscriber's time and territory: only titles licensed for them (None: all, for staff).
    """
    statement = select(Title) if audience is None else select(Title).where(available_clause(audience))
    if kind is None:
        statement = statement.where(Title.kind != "episode")
    elif kind in KINDS:
        statement = statement.where(Title.kind == kind)
    else:
        raise BadRequest(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
    if query and query.strip():
        pattern = _like_pattern(query)
        in_genre = _has_genre(func.lower(Genre.name).like(pattern, escape="\\"))
        statement = statement.where(
            or_(
                func.lower(Title.name).like(pattern, escape="\\"),
                func.lower(Title.description).like(pattern, escape="\\"),
                in_genre,
            )
        )
    if genre:
        statement = statement.where(_has_genre(func.lower(Genre.name) == genre.strip().lower()))
    limit = max(1, min(limit, 500))
    statement = statement.order_by(Title.created_at.desc(), Title.id.desc()).limit(limit).offset(max(0, offset))
    return list(session.scalars(statement))


def episodes(session: Session, series_id: int, audience: Audience | None = None) -> list[Title]:
    """The episodes of a series in season and episode order (only those licensed for ``audience``)."""
    statement = (
        (select(Title) if audience is None else select(Title).where(available_clause(audience)))
        .where(Title.parent_id == series_id)
        .order_by(Title.season.asc().nulls_first(), Title.episode.asc().nulls_first(), Title.id)
    )
    return list(session.scalars(statement))


def episodes_by_season(session: Session, series_id: int, audience: Audience | None = None) -> dict[int, list[Title]]:
    """The episodes of a series grouped by season number (0 for episodes without one), in order."""
    grouped: dict[int, list[Title]] = {}
    for item in episodes(session, series_id, audience):
        grouped.setdefault(item.season or 0, []).append(item)
    return grouped


def all_genres(session: Session) -> list[str]:
    """Every genre name in use, alphabetically."""
    return list(session.scalars(select(Genre.name).where(exists().where(TitleGenre.genre_id == Genre.id))))


def update_title(session: Session, clock: Clock, title_id: int, **fields: Any) -> Title:
    """Change fields of a title: name, description, year, genres, season, episode, duration, watermark.

    Raises:
        BadRequest: an unknown field or an invalid value.
        NotFound: no such title.
    """
    unknown = set(fields) - EDITABLE
    if unknown:
        raise BadRequest(f"cannot change {', '.join(sorted(unknown))}: editable are {', '.join(sorted(EDITABLE))}")
    title = get_title(session, title_id)
    if "name" in fields:
        title.name = _clean_name(fields["name"])
    if "description" in fields:
        title.description = str(fields["description"] or "").strip()
    if "year" in fields:
        title.year = _check_year(fields["year"])
    if "genres" in fields:
        title.genres = _genres(session, fields["genres"] or ())
    for key in ("season", "episode"):
        if key in fields:
            setattr(title, key, fields[key])
    if "season" in fields or "episode" in fields:
        _check_placement(session, title.kind, title.parent_id, title.season, title.episode)
    if "duration" in fields:
        title.duration = fields["duration"]
    if "watermark" in fields:
        title.watermark = bool(fields["watermark"])
    title.updated_at = clock.now()
    session.flush()
    return title


def describe_deletion(session: Session, title_id: int) -> str:
    """ "series 'Dark' and all its episodes": what deleting the title takes away (the audit log's detail).

    Raises:
        NotFound: no such title.
    """
    title = get_title(session, title_id)
    return f"{title.kind} {title.name!r}" + (" and all its episodes" if title.kind == "series" else "")


def delete_title(session: Session, settings: Settings, title_id: int) -> None:
    """Delete a title (a series with all its episodes) and, once committed, its media folders.

    Raises:
        NotFound: no such title.
    """
    title = get_title(session, title_id)
    doomed = [*episodes(session, title.id), title] if title.kind == "series" else [title]
    folders = [folder for item in doomed if (folder := media_folder(settings, item)) is not None]
    for item in doomed:  # one flush each: episodes before their series, or the DB cascade deletes them first
        session.delete(item)
        session.flush()
    _remove_after_commit(session, folders)


def media_folder(settings: Settings, title: Title) -> Path | None:
    """The title's media folder, or None when it has no media (or a ``media_path`` outside the media dir)."""
    if not title.media_path:
        return None
    root = settings.media_dir.resolve()
    folder = (root / title.media_path).resolve()
    if folder == root or root not in folder.parents:
        log.warning("title %s has media_path %r outside the media dir; ignored", title.id, title.media_path)
        return None
    return folder


def _remove_after_commit(session: Session, folders: list[Path]) -> None:
    # Files go only when the rows are gone for good: a rolled-back delete keeps a playable title.
    state = {"armed": True}

    def committed(_session: Session) -> None:
        if state["armed"]:
            state["armed"] = False
            for folder in folders:
                shutil.rmtree(folder, ignore_errors=True)

    def rolled_back(_session: Session, _previous: Any = None) -> None:
        state["armed"] = False

    event.listen(session, "after_commit", committed, once=True)
    event.listen(session, "after_soft_rollback", rolled_back, once=True)


def _check_placement(
    session: Session, kind: str, parent_id: int | None, season: int | None, episode: int | None
) -> None:
    if kind != "episode":
        if parent_id is not None or season is not None or episode is not None:
            raise BadRequest(f"a {kind} has no series, season or episode; use kind 'episode'")
        return
    if parent_id is None:
        raise BadRequest("an episode needs the id of its series")
    parent = session.get(Title, parent_id)
    if parent is None:
        raise NotFound(f"no series with id {parent_id}")
    if parent.kind != "series":
        raise BadRequest(f"title {parent_id} is a {parent.kind}, not a series")
    for label, value in (("season", season), ("episode", episode)):
        if value is not None and not 0 <= value <= 10_000:
            raise BadRequest(f"{label} must be a number from 0 to 10000, not {value}")


def _clean_name(name: Any) -> str:
    text = str(name or "").strip()
    if not text:
        raise BadRequest("a title needs a name")
    if len(text) > 300:
        raise BadRequest("a title's name must be at most 300 characters")
    return text


def _check_year(year: Any) -> int | None:
    if year is None or year == "":
        return None
    try:
        value = int(year)
    except (TypeError, ValueError):
        raise BadRequest(f"year must be a number, not {year!r}") from None
    if not 1870 <= value <= 2200:
        raise BadRequest(f"year {value} is out of range (1870-2200)")
    return value


def _genres(session: Session, names: Iterable[str]) -> list[Genre]:
    wanted: dict[str, str] = {}
    for raw in names:
        name = " ".join(str(raw).split())
        if name:
            if len(name) > 80:
                raise BadRequest(f"genre {name[:20]!r}... is longer than 80 characters")
            wanted.setdefault(name.lower(), name)
    if not wanted:
        return []
    existing = {g.name.lower(): g for g in session.scalars(select(Genre).where(func.lower(Genre.name).in_(wanted)))}
    result = []
    for key, name in wanted.items():
        genre = existing.get(key)
        if genre is None:
            genre = Genre(name=name)
            session.add(genre)
        result.append(genre)
    return result


def _has_genre(condition: Any) -> Any:
    return exists().where(TitleGenre.title_id == Title.id, TitleGenre.genre_id == Genre.id, condition)


def _like_pattern(query: str) -> str:
    escaped = query.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"

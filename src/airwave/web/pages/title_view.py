"""What the title and player pages show: facts, the play or resume action, seasons and episodes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from airwave.accounts.rights import Audience
from airwave.catalog.titles import episodes_by_season, get_title
from airwave.delivery.progress import resume_point
from airwave.store.tables import Title, User, WatchProgress
from airwave.web.pages.cards import CardMaker
from airwave.web.pages.rendering import art_url, episode_label, runtime_label


@dataclass(frozen=True)
class PlayAction:
    href: str
    label: str
    progress: float | None = None
    note: str = ""


@dataclass(frozen=True)
class EpisodeRow:
    title: Title
    label: str
    art: str | None
    progress: float | None


@dataclass(frozen=True)
class Season:
    number: int
    episodes: list[EpisodeRow]

    @property
    def heading(self) -> str:
        return f"Season {self.number}" if self.number else "Episodes"


@dataclass(frozen=True)
class TitleDetails:
    title: Title
    art: str | None
    meta: list[str]
    play: PlayAction | None
    series: Title | None = None
    seasons: list[Season] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class WatchDetails:
    title: Title
    heading: str
    subheading: str
    back: str
    thumbs: str | None


def title_details(session: Session, user: User, title: Title, audience: Audience | None = None) -> TitleDetails:
    """Everything the title page shows for ``user`` (a series: the episodes licensed for ``audience``)."""
    if title.kind == "series":
        return _series_details(session, user, title, audience)
    progress = _progress(session, user.id, [title.id])
    series = get_title(session, title.parent_id) if title.parent_id is not None else None
    meta = [
        x for x in (episode_label(title), str(title.year or ""), runtime_label(title.duration), _quality(title)) if x
    ]
    return TitleDetails(title, art_url(title), meta, _play(title, progress.get(title.id)), series, facts=_facts(title))


def watch_details(session: Session, title: Title) -> WatchDetails:
    """The player page's heading, its way back, and the thumbnail track for scrub previews."""
    thumbs = f"/art/{title.id}/thumbs.vtt" if title.thumbnails and title.media_path else None
    if title.parent_id is None:
        return WatchDetails(
            title,
            title.name,
            " · ".join(filter(None, [str(title.year or ""), _genres(title)])),
            f"/title/{title.id}",
            thumbs,
        )
    series = get_title(session, title.parent_id)
    sub = " · ".join(filter(None, [episode_label(title), title.name]))
    return WatchDetails(title, series.name, sub, f"/title/{series.id}", thumbs)


def _series_details(session: Session, user: User, series: Title, audience: Audience | None) -> TitleDetails:
    grouped = episodes_by_season(session, series.id, audience)
    flat = [ep for eps in grouped.values() for ep in eps]
    progress = _progress(session, user.id, [ep.id for ep in flat])
    seasons = [
        Season(number, [EpisodeRow(ep, episode_label(ep), art_url(ep), _fraction(progress.get(ep.id))) for ep in eps])
        for number, eps in grouped.items()
    ]
    art = CardMaker(session).series_art([series.id]).get(series.id)
    count = len(flat)
    meta = [
        x
        for x in (
            "Series",
            str(series.year or ""),
            f"{len(grouped)} season{'s' if len(grouped) != 1 else ''}",
            f"{count} episode{'s' if count != 1 else ''}",
        )
        if x
    ]
    facts = [("Genres", _genres(series)), ("Seasons", str(len(grouped))), ("Episodes", str(count))]
    return TitleDetails(
        series, art, meta, _up_next(flat, progress), seasons=seasons, facts=[(k, v) for k, v in facts if v]
    )


def _up_next(episodes: Sequence[Title], progress: dict[int, WatchProgress]) -> PlayAction | None:
    """Resume the episode watched last; after a finished one, play the next; else start at the first."""
    playable = [ep for ep in episodes if ep.media_path]
    if not playable:
        return None
    watched = [progress[ep.id] for ep in playable if ep.id in progress]
    if not watched:
        return _play(playable[0], None, prefix=True)
    latest = max(watched, key=lambda p: p.updated_at)
    index = next(i for i, ep in enumerate(playable) if ep.id == latest.title_id)
    if resume_point(latest) > 0 or index + 1 >= len(playable):
        return _play(playable[index], latest, prefix=True)
    return _play(playable[index + 1], progress.get(playable[index + 1].id), prefix=True)


def _play(title: Title, progress: WatchProgress | None, *, prefix: bool = False) -> PlayAction | None:
    if not title.media_path:
        return None
    where = f" {episode_label(title)}" if prefix and episode_label(title) else ""
    resume = resume_point(progress)
    if resume <= 0 or progress is None:
        return PlayAction(f"/watch/{title.id}", f"Play{where}")
    left = max(0.0, (progress.duration or title.duration or 0) - progress.position)
    return PlayAction(f"/watch/{title.id}", f"Resume{where}", _fraction(progress), f"{runtime_label(left)} left")


def _progress(session: Session, user_id: int, title_ids: Sequence[int]) -> dict[int, WatchProgress]:
    if not title_ids:
        return {}
    statement = select(WatchProgress).where(WatchProgress.user_id == user_id, WatchProgress.title_id.in_(title_ids))
    return {p.title_id: p for p in session.scalars(statement)}


def _fraction(progress: WatchProgress | None) -> float | None:
    if progress is None or not progress.duration or progress.position <= 0:
        return None
    return min(1.0, progress.position / progress.duration)


def _quality(title: Title) -> str:
    heights = [r.height for r in title.renditions if r.kind == "video" and r.height]
    if not heights:
        return ""
    top = max(heights)
    return "4K" if top >= 2160 else ("HD" if top >= 720 else f"{top}p")


def _genres(title: Title) -> str:
    return ", ".join(genre.name for genre in title.genres)


def _facts(title: Title) -> list[tuple[str, str]]:
    audio = [r.label or r.language or r.name for r in title.renditions if r.kind == "audio"]
    subtitles = [r.label or r.language or r.name for r in title.renditions if r.kind == "subtitles"]
    video = sorted({r.height for r in title.renditions if r.kind == "video" and r.height}, reverse=True)
    facts = [
        ("Genres", _genres(title)),
        ("Released", str(title.year or "")),
        ("Running time", runtime_label(title.duration)),
        ("Video", " · ".join(f"{h}p" for h in video)),
        ("Audio", ", ".join(audio)),
        ("Subtitles", ", ".join(subtitles)),
    ]
    return [(label, value) for label, value in facts if value]

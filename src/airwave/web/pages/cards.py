"""What a title looks like on a card or in a hero: artwork, caption, link, progress. Built in batches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from airwave.store.tables import Title, WatchProgress
from airwave.web.pages.rendering import art_url, episode_label, hue, runtime_label


@dataclass(frozen=True)
class Card:
    """One tile in a row or grid."""

    id: int
    name: str
    href: str
    art: str | None
    meta: str
    hue: int
    badge: str = ""
    progress: float | None = None
    description: str = ""


class CardMaker:
    """Turns titles into cards, looking up series artwork and episode counts once per batch."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def cards(self, titles: Sequence[Title]) -> list[Card]:
        """Cards for the titles a subscriber can watch: films with media, series with episodes."""
        series_ids = [t.id for t in titles if t.kind == "series"]
        art = self.series_art(series_ids)
        counts = self.episode_counts(series_ids)
        watchable = [t for t in titles if counts.get(t.id, 0) > 0 or (t.kind != "series" and t.media_path)]
        return [self.card(t, art.get(t.id), counts.get(t.id, 0)) for t in watchable]

    def card(self, title: Title, series_art: str | None = None, episodes: int = 0) -> Card:
        if title.kind == "series":
            meta = " · ".join(filter(None, [f"{episodes} episode{'s' if episodes != 1 else ''}", _genre(title)]))
            return Card(
                title.id,
                title.name,
                f"/title/{title.id}",
                series_art,
                meta,
                hue(title.id),
                "Series",
                description=title.description,
            )
        meta = " · ".join(filter(None, [str(title.year or ""), _genre(title), runtime_label(title.duration)]))
        return Card(
            title.id,
            title.name,
            f"/title/{title.id}",
            art_url(title),
            meta,
            hue(title.id),
            description=title.description,
        )

    def resume_cards(self, rows: Sequence[tuple[WatchProgress, Title]]) -> list[Card]:
        """Cards for "Continue watching": straight to the player, with how far the viewer got."""
        parents = {t.parent_id for _, t in rows if t.parent_id is not None}
        names = dict(self.session.execute(select(Title.id, Title.name).where(Title.id.in_(parents))).all())
        cards = []
        for progress, title in rows:
            left = max(0.0, (progress.duration or title.duration or 0) - progress.position)
            caption = f"{runtime_label(left)} left" if left >= 30 else "Almost done"
            name, meta = title.name, caption
            if title.parent_id is not None:
                name = names.get(title.parent_id, title.name)
                meta = f"{episode_label(title)} · {title.name} · {caption}".lstrip(" ·")
            fraction = progress.position / progress.duration if progress.duration else 0.0
            cards.append(
                Card(title.id, name, f"/watch/{title.id}", art_url(title), meta, hue(title.id), progress=fraction)
            )
        return cards

    def series_art(self, series_ids: Sequence[int]) -> dict[int, str]:
        """A series shows the poster of its first episode that has one."""
        if not series_ids:
            return {}
        statement = (
            select(Title)
            .where(Title.parent_id.in_(series_ids), Title.poster.is_not(None))
            .order_by(Title.season.asc().nulls_first(), Title.episode.asc().nulls_first(), Title.id)
        )
        art: dict[int, str] = {}
        for episode in self.session.scalars(statement):
            url = art_url(episode)
            if episode.parent_id is not None and url and episode.parent_id not in art:
                art[episode.parent_id] = url
        return art

    def episode_counts(self, series_ids: Sequence[int]) -> dict[int, int]:
        if not series_ids:
            return {}
        statement = (
            select(Title.parent_id, func.count()).where(Title.parent_id.in_(series_ids)).group_by(Title.parent_id)
        )
        return {parent: count for parent, count in self.session.execute(statement) if parent is not None}


def _genre(title: Title) -> str:
    return title.genres[0].name if title.genres else ""

"""The home page: a featured title and rows (continue watching, recently added, series, one per genre)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from airwave.accounts.rights import Audience, available_clause
from airwave.catalog.titles import all_genres, list_titles
from airwave.delivery.progress import MIN_RESUME_SECONDS, resume_point
from airwave.store.tables import Title, User, WatchProgress
from airwave.web.pages.cards import Card, CardMaker

ROW_LENGTH = 24
MAX_GENRE_ROWS = 12
MIN_GENRE_ROW = 2  # a genre with one title is better found by search than shown as a row of one


@dataclass(frozen=True)
class Shelf:
    """One horizontal row of cards."""

    key: str
    heading: str
    cards: list[Card]
    more: str | None = None


@dataclass(frozen=True)
class Home:
    hero: Card | None
    shelves: list[Shelf]


def home_page(session: Session, user: User, audience: Audience | None = None) -> Home:
    """Everything the home page shows for ``user`` (only titles licensed for ``audience``); no empty rows."""
    maker = CardMaker(session)
    recent = maker.cards(list_titles(session, limit=ROW_LENGTH, audience=audience))
    resume = continue_watching(session, user.id, audience=audience)
    shelves = [
        Shelf("continue", "Continue watching", maker.resume_cards(resume)),
        Shelf("recent", "Recently added", recent),
        Shelf(
            "series",
            "Series",
            maker.cards(list_titles(session, kind="series", limit=ROW_LENGTH, audience=audience)),
            "/search?kind=series",
        ),
    ]
    shelves += genre_shelves(session, maker, audience)
    hero = next((card for card in recent if card.art), recent[0] if recent else None)
    return Home(hero=hero, shelves=[shelf for shelf in shelves if shelf.cards])


def genre_shelves(session: Session, maker: CardMaker, audience: Audience | None = None) -> list[Shelf]:
    """One row per genre that has at least two titles to show, alphabetically."""
    shelves: list[Shelf] = []
    for genre in all_genres(session):
        cards = maker.cards(list_titles(session, genre=genre, limit=ROW_LENGTH, audience=audience))
        if len(cards) >= MIN_GENRE_ROW:
            shelves.append(Shelf(f"genre-{genre.lower()}", genre, cards, "/search?" + urlencode({"genre": genre})))
        if len(shelves) == MAX_GENRE_ROWS:
            break
    return shelves


def continue_watching(
    session: Session, user_id: int, limit: int = ROW_LENGTH, audience: Audience | None = None
) -> list[tuple[WatchProgress, Title]]:
    """Titles the user started and has not finished, most recently watched first."""
    statement = (
        select(WatchProgress, Title)
        .join(Title, Title.id == WatchProgress.title_id)
        .where(WatchProgress.user_id == user_id, WatchProgress.position >= MIN_RESUME_SECONDS)
        .where(Title.media_path.is_not(None))
        .order_by(WatchProgress.updated_at.desc())
        .limit(limit * 2)
    )
    if audience is not None:
        statement = statement.where(available_clause(audience))
    rows = [(progress, title) for progress, title in session.execute(statement)]
    return [row for row in rows if resume_point(row[0]) > 0][:limit]

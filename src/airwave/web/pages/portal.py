"""The subscriber portal: home rows, search, title pages and the player page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from airwave.catalog.titles import KINDS, list_titles, visible_title
from airwave.store.tables import User
from airwave.web import deps
from airwave.web.pages.cards import CardMaker
from airwave.web.pages.rendering import redirect, render
from airwave.web.pages.shelves import home_page
from airwave.web.pages.title_view import title_details, watch_details

router = APIRouter()
Viewer = Annotated[User, Depends(deps.require_user)]


@router.get("/")
def home(request: Request, user: Viewer) -> Response:
    """Rows of titles: continue watching, recently added, series, one per genre."""
    with deps.get_runtime(request).db.session() as session:
        home = home_page(session, user, deps.audience(request))
        return render(request, "home.html", {"home": home, "section": "home"})


@router.get("/search")
def search(request: Request, _user: Viewer, q: str = "", kind: str = "", genre: str = "") -> Response:
    """Films and series whose name, description or genre match ``q``; or all of one kind or genre."""
    kind = kind if kind in KINDS and kind != "episode" else ""
    with deps.get_runtime(request).db.session() as session:
        found = list_titles(
            session,
            query=q.strip() or None,
            kind=kind or None,
            genre=genre or None,
            limit=200,
            audience=deps.audience(request),
        )
        cards = CardMaker(session).cards(found)
        if q.strip():
            heading = f"Results for \u201c{q.strip()}\u201d"
        else:
            heading = genre or {"film": "Films", "series": "Series"}.get(kind, "Everything")
        context = {"cards": cards, "q": q, "kind": kind, "genre": genre, "heading": heading, "section": kind}
        return render(request, "search.html", context)


@router.get("/title/{title_id}")
def title_page(request: Request, title_id: int, user: Viewer) -> Response:
    """A film, series or episode: artwork, facts, description, play or resume; a series lists its seasons."""
    with deps.get_runtime(request).db.session() as session:
        audience = deps.audience(request)
        details = title_details(session, user, visible_title(session, title_id, audience), audience)
        return render(request, "title.html", {"t": details, "section": ""})


@router.get("/watch/{title_id}")
def watch(request: Request, title_id: int, _user: Viewer) -> Response:
    """The player page of a film or episode (a series goes to its page to pick an episode)."""
    with deps.get_runtime(request).db.session() as session:
        title = visible_title(session, title_id, deps.audience(request))
        if title.kind == "series":
            return redirect(request, f"/title/{title.id}")
        return render(request, "watch.html", {"w": watch_details(session, title)})

"""Managing the catalogue: the titles table, editing a title, creating a series, deleting with confirmation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from airwave.accounts import audit
from airwave.catalog.titles import create_title, describe_deletion, get_title, list_titles, media_folder, update_title
from airwave.catalog.titles import delete_title as remove_title
from airwave.errors import BadRequest, NotFound
from airwave.store.tables import Title
from airwave.watermark.costs import title_marking
from airwave.web import deps
from airwave.web.pages.cards import CardMaker
from airwave.web.pages.rendering import redirect, render
from airwave.web.pages.rights_form import read_rights_fields, rights_form_of, save_rights
from airwave.web.pages.title_form import read_title_fields

router = APIRouter()
PAGE_SIZE = 50
KIND_FILTERS = {"": "Films and series", "film": "Films", "series": "Series", "episode": "Episodes"}


@router.get("/admin/titles")
def title_list(request: Request, q: str = "", kind: str = "", page: int = 1) -> Response:
    """The catalogue as a table: search, filter by kind, edit and delete."""
    kind = kind if kind in KIND_FILTERS else ""
    page = max(1, page)
    with deps.get_runtime(request).db.session() as session:
        found = list_titles(
            session, query=q or None, kind=kind or None, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
        )
        rows = found[:PAGE_SIZE]
        series = [t.id for t in rows if t.kind == "series"]
        context = {
            "rows": rows, "q": q, "kind": kind, "kinds": KIND_FILTERS, "page": page, "section": "titles",
            "has_next": len(found) > PAGE_SIZE, "parents": _parents(session, rows),
            "episode_counts": CardMaker(session).episode_counts(series),
            "series_art": CardMaker(session).series_art(series),
        }  # fmt: skip
        return render(request, "admin/titles.html", context)


@router.get("/admin/titles/new")
def new_series_form(request: Request) -> Response:
    """The form that creates a series (episodes are added by uploading them into it)."""
    return render(request, "admin/title_form.html", {"form": {}, "errors": {}, "title": None, "section": "titles"})


class TitleFields(BaseModel):
    """The title form's fields as typed (checked by :func:`read_title_fields`)."""

    name: str = ""
    description: str = ""
    year: str = ""
    genres: str = ""
    season: str = ""
    episode: str = ""
    back: str = ""
    available_from: str = ""
    available_until: str = ""
    territories: str = ""


@router.post("/admin/titles/new", dependencies=[Depends(deps.check_csrf)])
def create_series(request: Request, fields: Annotated[TitleFields, Form()]) -> Response:
    """Create a series from the form, or show the form again with its problems."""
    form = fields.model_dump()
    result = read_title_fields(form)
    runtime = deps.get_runtime(request)
    if result.ok:
        try:
            with runtime.db.session() as session:
                series = create_title(session, runtime.clock, kind="series", **result.values)
                return redirect(request, "/admin/titles?kind=series", f"Series \u201c{series.name}\u201d created.")
        except BadRequest as exc:
            result.errors["form"] = exc.message
    context = {"form": form, "errors": result.errors, "title": None, "section": "titles"}
    return render(request, "admin/title_form.html", context, status=400)


@router.get("/admin/titles/{title_id}/edit")
def edit_form(request: Request, title_id: int) -> Response:
    with deps.get_runtime(request).db.session() as session:
        title = get_title(session, title_id)
        return _edit_page(request, session, title, _form_of(title), {})


@router.post("/admin/titles/{title_id}/edit", dependencies=[Depends(deps.check_csrf)])
def save_title(request: Request, title_id: int, fields: Annotated[TitleFields, Form()]) -> Response:
    """Save the edit form; problems are shown next to their fields and nothing is changed."""
    form = fields.model_dump()
    runtime = deps.get_runtime(request)
    with runtime.db.session() as session:
        kind = get_title(session, title_id).kind
    result = read_title_fields(form, placement=kind == "episode")
    read_rights_fields(form, result)
    if result.ok:
        rights = result.values.pop("rights")
        try:
            with runtime.db.session() as session:  # a refused change rolls back whole
                title = update_title(session, runtime.clock, title_id, **result.values)
                save_rights(request, session, title, rights)
                return redirect(request, _back(form), f"Saved \u201c{title.name}\u201d.")
        except BadRequest as exc:
            result.errors["form"] = exc.message
    with runtime.db.session() as session:
        return _edit_page(request, session, get_title(session, title_id), form, result.errors, status=400)


@router.get("/admin/titles/{title_id}/delete")
def confirm_delete(request: Request, title_id: int) -> Response:
    """Asks before deleting (the titles table opens this as a dialog when scripts run)."""
    with deps.get_runtime(request).db.session() as session:
        title = get_title(session, title_id)
        count = _episode_counts(session, [title]).get(title.id, 0)
        return render(request, "admin/confirm_delete.html", {"title": title, "episodes": count, "section": "titles"})


@router.post("/admin/titles/{title_id}/delete", dependencies=[Depends(deps.check_csrf)])
def delete_title(request: Request, title_id: int) -> Response:
    """Delete the title (a series with its episodes) and its media files."""
    runtime = deps.get_runtime(request)
    try:
        with runtime.db.session() as session:
            name = get_title(session, title_id).name
            detail = describe_deletion(session, title_id)
            remove_title(session, runtime.settings, title_id)
            audit.record(session, runtime.clock, deps.admin_actor(request), "title.delete", f"title:{title_id}", detail)
    except NotFound:
        return redirect(request, "/admin/titles", "That title was already deleted.", "info")
    return redirect(request, "/admin/titles", f"Deleted \u201c{name}\u201d and its media files.")


def _edit_page(
    request: Request, session: Session, title: Title, form: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    series = session.get(Title, title.parent_id) if title.parent_id is not None else None
    context = {"form": form, "errors": errors, "title": title, "series": series, "section": "titles"}
    if title.watermark:  # WATERMARK (issue 6): what marking cost this title
        context["marking"] = title_marking(media_folder(deps.get_runtime(request).settings, title))
    return render(request, "admin/title_form.html", context, status=status)


def _form_of(title: Title) -> dict[str, str]:
    def text(value: Any) -> str:
        return "" if value is None else str(value)

    return {
        **rights_form_of(title),
        "name": title.name,
        "description": title.description,
        "year": text(title.year),
        "genres": ", ".join(genre.name for genre in title.genres),
        "season": text(title.season),
        "episode": text(title.episode),
    }


def _back(form: dict[str, str]) -> str:
    target = form.get("back", "")
    return target if target.startswith("/admin/") and not target.startswith("//") else "/admin/titles"


def _parents(session: Session, rows: list[Title]) -> dict[int, Title]:
    ids = {t.parent_id for t in rows if t.parent_id is not None}
    return {t.id: t for t in session.scalars(select(Title).where(Title.id.in_(ids)))} if ids else {}


def _episode_counts(session: Session, rows: list[Title]) -> dict[int, int]:
    return CardMaker(session).episode_counts([t.id for t in rows if t.kind == "series"])

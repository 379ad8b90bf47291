"""Ingest jobs: the list with live progress, one job's details, and the small JSON the pages poll."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from airwave.errors import NotFound
from airwave.store.tables import IngestJob, Title
from airwave.web import deps
from airwave.web.pages.rendering import render

router = APIRouter()

STATE_LABELS = {
    "queued": "Queued",
    "probing": "Probing",
    "encoding": "Encoding",
    "publishing": "Publishing",
    "done": "Done",
    "failed": "Failed",
    "interrupted": "Interrupted",
}
FINAL = frozenset({"done", "failed", "interrupted"})
MAX_POLLED = 100


@router.get("/admin/jobs")
def job_list(request: Request, state: str = "") -> Response:
    """Ingest jobs, newest first, with progress bars that update while jobs run."""
    with deps.get_runtime(request).db.session() as session:
        statement = select(IngestJob).order_by(IngestJob.id.desc()).limit(200)
        if state in STATE_LABELS:
            statement = statement.where(IngestJob.state == state)
        found = list(session.scalars(statement))
        context = {
            "jobs": found,
            "state": state,
            "labels": STATE_LABELS,
            "section": "jobs",
            "titles": _titles(session, found),
        }
        return render(request, "admin/jobs.html", context)


@router.get("/admin/jobs/status")
def job_status(request: Request, ids: str = "") -> Response:
    """``{"jobs": [{id, state, state_label, progress, message, title_id}]}`` for the comma-separated ids."""
    wanted = [int(part) for part in ids.split(",") if part.strip().isdigit()][:MAX_POLLED]
    with deps.get_runtime(request).db.session() as session:
        found = list(session.scalars(select(IngestJob).where(IngestJob.id.in_(wanted)))) if wanted else []
        return JSONResponse({"jobs": [job_json(job) for job in found]}, headers={"Cache-Control": "no-store"})


@router.get("/admin/jobs/{job_id}")
def job_page(request: Request, job_id: int) -> Response:
    """One job: state, progress, timings, what it was asked to do, and the failure message."""
    with deps.get_runtime(request).db.session() as session:
        job = session.get(IngestJob, job_id)
        if job is None:
            raise NotFound(f"no ingest job with id {job_id}")
        title = session.get(Title, job.title_id) if job.title_id is not None else None
        context = {
            "job": job,
            "title": title,
            "labels": STATE_LABELS,
            "section": "jobs",
            "source_name": Path(job.source).name,
            "options": describe_options(job.options),
        }
        return render(request, "admin/job.html", context)


def job_json(job: IngestJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "state": job.state,
        "state_label": STATE_LABELS.get(job.state, job.state),
        "progress": round(job.progress, 4),
        "message": job.message,
        "title_id": job.title_id,
    }


def describe_options(options: dict[str, Any]) -> list[tuple[str, str]]:
    """The job's options as label and text, for people."""
    rows = []
    if options.get("series"):
        place = " · ".join(f"{k.title()} {options[k]}" for k in ("season", "episode") if options.get(k) is not None)
        rows.append(("Series", f"{options['series']}" + (f" ({place})" if place else "")))
    if options.get("year"):
        rows.append(("Year", str(options["year"])))
    if options.get("genres"):
        rows.append(("Genres", ", ".join(str(g) for g in options["genres"])))
    if options.get("description"):
        rows.append(("Description", str(options["description"])))
    if options.get("subtitles"):
        rows.append(("Subtitles", ", ".join(f"{Path(str(p)).name} ({lang})" for p, lang in options["subtitles"])))
    rows.append(("Watermark", "Yes" if options.get("watermark") else "No"))
    rows.append(("Source file", "Deleted after a successful ingest" if options.get("delete_source") else "Kept"))
    return rows


def _titles(session: Session, found: list[IngestJob]) -> dict[int, Title]:
    ids = {job.title_id for job in found if job.title_id is not None}
    if not ids:
        return {}
    return {title.id: title for title in session.scalars(select(Title).where(Title.id.in_(ids)))}

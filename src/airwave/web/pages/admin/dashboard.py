"""The admin dashboard: catalogue and audience counts, running and recent ingest jobs, newest titles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from airwave.catalog.titles import list_titles
from airwave.clock import Clock
from airwave.store.tables import IngestJob, PlaybackSession, Title, User
from airwave.web import deps
from airwave.web.pages.admin.jobs import FINAL, STATE_LABELS
from airwave.web.pages.rendering import render

router = APIRouter()


@dataclass(frozen=True)
class Stat:
    label: str
    value: int
    note: str = ""
    href: str = ""


@router.get("/admin")
def dashboard(request: Request) -> Response:
    """Counts, recent jobs and newest titles."""
    runtime = deps.get_runtime(request)
    with runtime.db.session() as session:
        jobs = list(session.scalars(select(IngestJob).order_by(IngestJob.id.desc()).limit(6)))
        context = {
            "stats": stats(session, runtime.clock),
            "jobs": jobs,
            "labels": STATE_LABELS,
            "recent": list_titles(session, limit=6),
            "section": "dashboard",
        }
        return render(request, "admin/dashboard.html", context)


def stats(session: Session, clock: Clock) -> list[Stat]:
    """The numbers at the top of the dashboard."""
    kinds = _counts(session, Title.kind)
    roles = _counts(session, User.role)
    watching = session.scalar(
        select(func.count()).where(PlaybackSession.ended_at.is_(None), PlaybackSession.expires_at > clock.now())
    )
    states = _counts(session, IngestJob.state)
    running = sum(count for state, count in states.items() if state not in FINAL)
    failed = states.get("failed", 0) + states.get("interrupted", 0)
    return [
        Stat("Films", kinds.get("film", 0), "in the catalogue", "/admin/titles?kind=film"),
        Stat("Series", kinds.get("series", 0), f"{kinds.get('episode', 0)} episodes", "/admin/titles?kind=series"),
        Stat("Subscribers", roles.get("subscriber", 0), f"{roles.get('admin', 0)} admins"),
        Stat("Watching now", watching or 0, "open playback sessions"),
        Stat("Ingest jobs", running, f"{failed} failed" if failed else "running or queued", "/admin/jobs"),
    ]


def _counts(session: Session, column: Any) -> dict[str, int]:
    return dict(session.execute(select(column, func.count()).group_by(column)).all())

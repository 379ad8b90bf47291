"""Rendering pages: the shared context every template gets, redirects with a message, template filters."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import Environment
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from airwave.accounts.rights import title_status
from airwave.errors import AirwaveError
from airwave.store.tables import Title, User
from airwave.web import deps
from airwave.web.pages import flashes


def render(request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200) -> Response:
    """Render ``template`` with the signed-in user, their CSRF token and pending flash messages."""
    runtime = deps.get_runtime(request)
    messages = flashes.pending(runtime, request)
    shared = {
        "user": deps.current_user(request),
        "csrf_token": deps.csrf_token(request),
        "flashes": messages,
        "now": runtime.clock.now(),
    }
    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(request, template, {**shared, **(context or {})}, status_code=status)
    if messages:
        flashes.clear(response)
    return response


def redirect(request: Request, url: str, message: str = "", kind: str = "success") -> Response:
    """A 303 to ``url`` (after a form post), optionally with a flash message for the next page."""
    response = RedirectResponse(url, status_code=303)
    if message:
        flashes.add_flash(response, deps.get_runtime(request), request, kind, message)
    return response


def install_template_helpers(env: Environment) -> None:
    """Register the filters and globals the page templates use."""
    env.filters.update(
        runtime_label=runtime_label,
        clock=clock,
        ago=ago,
        hue=hue,
        percent=percent,
        megabytes=megabytes,
    )
    env.globals.update(art_url=art_url, episode_label=episode_label, signed_in=signed_in, rights_status=title_status)


def signed_in(request: Request) -> User | None:
    """The signed-in user for pages rendered without one (error pages); None if that cannot be known."""
    try:
        return deps.current_user(request)
    except (AirwaveError, SQLAlchemyError):
        return None


def runtime_label(seconds: float | None) -> str:
    """ "1h 32m", "22m" or "45s"; "" when unknown."""
    if not seconds or not math.isfinite(seconds):
        return ""
    minutes = round(seconds / 60)
    if minutes == 0:
        return f"{round(seconds)}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def clock(seconds: float | None) -> str:
    """ "1:02:03" or "2:03"."""
    total = int(seconds or 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def ago(moment: dt.datetime | None, now: dt.datetime) -> str:
    """ "just now", "5 min ago", "3 h ago", "2 days ago", or the date for older moments."""
    if moment is None:
        return ""
    seconds = (now - moment).total_seconds()
    if seconds < 45:
        return "just now"
    if seconds < 3600:
        return f"{round(seconds / 60)} min ago"
    if seconds < 86400:
        return f"{round(seconds / 3600)} h ago"
    if seconds < 7 * 86400:
        days = round(seconds / 86400)
        return f"{days} day{'s' if days > 1 else ''} ago"
    return moment.strftime("%d %b %Y")


def hue(number: int | None) -> int:
    """A stable colour hue for a title without artwork."""
    return ((number or 0) * 47 + 220) % 360


def percent(fraction: float | None) -> int:
    """0..1 as a whole percentage, clamped."""
    return max(0, min(100, round((fraction or 0) * 100)))


def megabytes(size: int) -> str:
    return f"{size / 1e9:.1f} GB" if size >= 1e9 else f"{size / 1e6:.0f} MB"


def art_url(title: Title | None) -> str | None:
    """The public URL of a title's poster, or None when it has none."""
    if title is None or not title.poster or not title.media_path:
        return None
    return f"/art/{title.id}/poster.jpg"


def episode_label(title: Title) -> str:
    """ "S1:E3", "E3", "S2" or "" for an episode's place in its series."""
    parts = []
    if title.season is not None:
        parts.append(f"S{title.season}")
    if title.episode is not None:
        parts.append(f"E{title.episode}")
    return ":".join(parts)

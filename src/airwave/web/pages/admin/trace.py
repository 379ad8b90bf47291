"""Leak tracing from the admin area: upload a pirate's capture, pick the title or channel, read the verdict.

The capture is streamed to disk with the same size limit and CSRF check (before the first file byte) as a
title upload; the trace runs as a background job (:mod:`airwave.watermark.trace_jobs`) whose page shows its
progress and then whom it accuses, with the scores and the false-accusation bound, or how much more capture
it needs. Every trace asked for, and its verdict, goes into the audit log: naming a subscriber is a serious
act and the log records who did it, on what evidence.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from airwave.accounts import audit
from airwave.accounts.csrf import csrf_valid
from airwave.errors import CsrfFailed, PayloadTooLarge
from airwave.runtime import Runtime
from airwave.store.channels import Channel
from airwave.store.tables import Title, User
from airwave.watermark import trace_jobs
from airwave.watermark.trace_jobs import TraceJob, TraceRunner
from airwave.web import deps
from airwave.web.pages.rendering import redirect, render
from airwave.web.pages.uploads import Upload, receive_upload

router = APIRouter()
OUTCOMES = {"accused": "Leak traced", "insufficient": "Need more capture", "no-match": "Nobody matches"}


@router.get("/admin/trace")
def trace_form(request: Request) -> Response:
    """The upload form and the recent traces."""
    return _form_page(request, {}, {})


@router.post("/admin/trace")
async def start_trace(request: Request) -> Response:
    """Receive the capture, check the fields, queue the trace and go to its page."""
    runtime = deps.get_runtime(request)
    limit = runtime.settings.upload_max_mb * 1_000_000
    try:
        received = await receive_upload(
            request, runtime.settings.uploads_dir, max_bytes=limit, before_file=lambda f: _check_csrf(request, f)
        )
    except PayloadTooLarge as exc:
        return await run_in_threadpool(_form_page, request, {}, {"file": exc.message}, 413)
    _check_csrf(request, received.fields)
    values, errors = await run_in_threadpool(_read_fields, runtime, received)
    if errors:
        received.discard()
        return await run_in_threadpool(_form_page, request, received.fields, errors, 400)
    user = deps.require_admin(request)
    job = await run_in_threadpool(_create, request, runtime, received, values, user)
    _runner(request).submit(job)
    return redirect(request, f"/admin/trace/{job.id}", f"Tracing {job.filename} against {job.content}.")


@router.get("/admin/trace/{job_id}")
def trace_page(request: Request, job_id: str) -> Response:
    """One trace: its progress while it runs, then the verdict."""
    runtime = deps.get_runtime(request)
    job = trace_jobs.load(runtime, job_id)
    with runtime.db.session() as session:
        title = session.get(Title, job.title_id) if job.title_id is not None else None
        label = f"\u201c{title.name}\u201d (title {title.id})" if title is not None else job.content
    context = {"job": job, "label": label, "outcomes": OUTCOMES, "section": "trace", "report": job.result or {}}
    return render(request, "admin/trace_job.html", context)


@router.get("/admin/trace/{job_id}/status")
def trace_status(request: Request, job_id: str) -> Response:
    """``{state, progress, message}`` of one trace, for its page to poll."""
    job = trace_jobs.load(deps.get_runtime(request), job_id)
    body = {"state": job.state, "progress": job.progress, "message": job.message}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def _runner(request: Request) -> TraceRunner:
    state = request.app.state
    if getattr(state, "trace_runner", None) is None:
        state.trace_runner = TraceRunner(state.runtime)
        state.trace_runner.start()
        state.components.append(state.trace_runner)  # closed with the app
    runner: TraceRunner = state.trace_runner
    return runner


def _check_csrf(request: Request, fields: dict[str, str]) -> None:
    # Before the first file byte is stored: a forged cross-site upload writes nothing to disk.
    if getattr(request.state, "login_kind", None) != "cookie":
        return
    given = request.headers.get(deps.CSRF_HEADER) or fields.get(deps.CSRF_FIELD, "")
    if not csrf_valid(deps.get_runtime(request).secret, request.state.login_token, given):
        raise CsrfFailed("the form expired or came from another site: reload the page and try again")


def _read_fields(runtime: Runtime, received: Upload) -> tuple[dict[str, Any], dict[str, str]]:
    """What to trace against and when, and the capture; problems by field."""
    values: dict[str, Any] = {"title_id": None, "channel": None, "around": None}
    errors: dict[str, str] = {}
    kind, _, name = received.fields.get("content", "").partition(":")
    with runtime.db.session() as session:
        if kind == "title" and name.isdigit() and session.get(Title, int(name)) is not None:
            values["title_id"] = int(name)
        elif kind == "channel" and session.scalar(select(Channel.id).where(Channel.slug == name)) is not None:
            values["channel"] = name
        else:
            errors["content"] = "Choose the title or channel the capture shows."
    around = received.fields.get("around", "").strip()
    if around:
        try:
            values["around"] = dt.datetime.fromisoformat(around).replace(tzinfo=dt.UTC).isoformat()
        except ValueError:
            errors["around"] = f"{around!r} is not a date and time: use the picker, or leave it empty."
    capture = received.files.get("file")
    if capture is None or not capture.filename:
        errors["file"] = "Choose the capture (a video file) to trace."
    elif capture.size == 0:
        errors["file"] = f"{capture.filename} is empty (0 bytes): choose the recording itself."
    return values, errors


def _create(request: Request, runtime: Runtime, received: Upload, values: dict[str, Any], user: User) -> TraceJob:
    capture = received.files["file"]
    job = TraceJob(
        id=trace_jobs.new_id(), title_id=values["title_id"], channel=values["channel"], around=values["around"],
        filename=capture.filename[:200], size=capture.size, created_at=runtime.clock.now().isoformat(),
        created_by=user.id,
    )  # fmt: skip
    try:
        trace_jobs.create_job(runtime, capture.path, job)
    except BaseException:
        received.discard()
        raise
    with runtime.db.session() as session:
        actor = deps.actor(request, session.get_one(User, user.id))
        target = f"channel:{job.channel}" if job.channel is not None else f"title:{job.title_id}"
        detail = f"trace {job.id} of {job.filename} ({job.size} bytes)" + (
            f" around {job.around}" if job.around else ""
        )
        audit.record(session, runtime.clock, actor, "watermark.trace", target, detail)
    return job


def _form_page(request: Request, form: dict[str, str], errors: dict[str, str], status: int = 200) -> Response:
    runtime = deps.get_runtime(request)
    with runtime.db.session() as session:
        titles = session.execute(
            select(Title.id, Title.name).where(Title.watermark, Title.media_path.is_not(None)).order_by(Title.name)
        ).all()
        channels = session.execute(select(Channel.slug, Channel.name, Channel.watermark).order_by(Channel.name)).all()
        context = {
            "form": form,
            "errors": errors,
            "titles": titles,
            "names": {row.id: row.name for row in titles},
            "channels": channels,
            "jobs": trace_jobs.recent(runtime),
            "outcomes": OUTCOMES,
            "limit_bytes": runtime.settings.upload_max_mb * 1_000_000,
            "section": "trace",
        }
        return render(request, "admin/trace.html", context, status=status)

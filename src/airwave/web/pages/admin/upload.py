"""Uploading a video: the form, the streamed upload into ``<data>/uploads``, and queueing its ingest job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from airwave.accounts.csrf import csrf_valid
from airwave.catalog import jobs
from airwave.errors import CsrfFailed, PayloadTooLarge
from airwave.runtime import Runtime
from airwave.store.tables import Title
from airwave.web import deps
from airwave.web.pages.rendering import redirect, render
from airwave.web.pages.title_form import read_upload_fields
from airwave.web.pages.uploads import Upload, receive_upload

router = APIRouter()
SUBTITLE_TYPES = (".vtt", ".srt")


@router.get("/admin/upload")
def upload_form(request: Request) -> Response:
    """The upload form."""
    return _form_page(request, {}, {})


@router.post("/admin/upload")
async def upload(request: Request) -> Response:
    """Receive the file, check the fields, queue the ingest job and go to its page."""
    runtime = deps.get_runtime(request)
    limit = runtime.settings.upload_max_mb * 1_000_000
    try:
        received = await receive_upload(
            request, runtime.settings.uploads_dir, max_bytes=limit, before_file=lambda f: _check_csrf(request, f)
        )
    except PayloadTooLarge as exc:
        return await run_in_threadpool(_form_page, request, {}, {"file": _sentence(exc.message)}, 413)
    _check_csrf(request, received.fields)
    result = read_upload_fields(received.fields)
    errors = {**result.errors, **_check_files(received)}
    if errors:
        received.discard()
        return await run_in_threadpool(_form_page, request, received.fields, errors, 400)
    video = received.files["file"]
    options = {key: result.values[key] for key in ("description", "year", "genres", "series", "season", "episode")}
    options["delete_source"] = True
    if "subtitles" in received.files:
        options["subtitles"] = [[str(received.files["subtitles"].path), result.values["subtitle_language"]]]
    try:
        job_id = await run_in_threadpool(_submit, runtime, video.path, result.values["name"], options)
    except BaseException:
        received.discard()
        raise
    request.app.state.job_runner.wake()
    return redirect(request, f"/admin/jobs/{job_id}", f"Uploaded {video.filename}: the ingest job is queued.")


def _submit(runtime: Runtime, source: Path, name: str, options: dict[str, Any]) -> int:
    with runtime.db.session() as session:
        job = jobs.submit(session, runtime.clock, source=source, name=name, options=options)
        return job.id


def _check_csrf(request: Request, fields: dict[str, str]) -> None:
    # Runs before the first file byte is stored: a forged cross-site upload writes nothing to disk.
    if getattr(request.state, "login_kind", None) != "cookie":
        return
    given = request.headers.get(deps.CSRF_HEADER) or fields.get(deps.CSRF_FIELD, "")
    if not csrf_valid(deps.get_runtime(request).secret, request.state.login_token, given):
        raise CsrfFailed("the form expired or came from another site: reload the page and try again")


def _check_files(received: Upload) -> dict[str, str]:
    errors = {}
    video = received.files.get("file")
    if video is None or not video.filename:
        errors["file"] = "Choose a video file to upload."
    elif video.size == 0:
        errors["file"] = f"{video.filename} is empty (0 bytes): choose the video file itself."
    subtitles = received.files.get("subtitles")
    if subtitles is not None and not subtitles.filename:
        received.discard("subtitles")  # the browser sends an empty part when no file was chosen
    elif subtitles is not None and not subtitles.filename.lower().endswith(SUBTITLE_TYPES):
        errors["subtitles"] = f"{subtitles.filename} is not a subtitle file: use WebVTT (.vtt) or SubRip (.srt)."
    elif subtitles is not None and subtitles.size == 0:
        errors["subtitles"] = f"{subtitles.filename} is empty (0 bytes)."
    return errors


def _form_page(request: Request, form: dict[str, str], errors: dict[str, str], status: int = 200) -> Response:
    runtime = deps.get_runtime(request)
    with runtime.db.session() as session:
        series = list(session.scalars(select(Title.name).where(Title.kind == "series").order_by(Title.name)))
        context = {
            "form": form,
            "errors": errors,
            "series_names": series,
            "limit_bytes": runtime.settings.upload_max_mb * 1_000_000,
            "section": "upload",
        }
        return render(request, "admin/upload.html", context, status=status)


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")

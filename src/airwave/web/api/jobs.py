"""``/api/v1/jobs``: ingest jobs and their progress (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from airwave.accounts.csrf import csrf_valid
from airwave.catalog import jobs
from airwave.errors import BadRequest, CsrfFailed, NotFound
from airwave.runtime import Runtime
from airwave.store.tables import IngestJob
from airwave.web.api.common import ApiAdmin, errors
from airwave.web.api.schemas import JobOut
from airwave.web.deps import CSRF_HEADER, DbSession, get_runtime
from airwave.web.pages.title_form import read_upload_fields
from airwave.web.pages.uploads import Upload, receive_upload

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get("", responses=errors(401, 403))
def list_jobs(
    _admin: ApiAdmin,
    session: DbSession,
    state: Annotated[str | None, Query(description="Only jobs in this state.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[JobOut]:
    """Ingest jobs, newest first."""
    statement = select(IngestJob).order_by(IngestJob.id.desc()).limit(limit)
    if state:
        statement = statement.where(IngestJob.state == state)
    return [JobOut.model_validate(job, from_attributes=True) for job in session.scalars(statement)]


@router.get("/{job_id}", responses=errors(401, 403, 404))
def get_job(job_id: int, _admin: ApiAdmin, session: DbSession) -> JobOut:
    """One ingest job: state, progress 0..1, and the message of a failure."""
    job = session.get(IngestJob, job_id)
    if job is None:
        raise NotFound(f"no ingest job with id {job_id}")
    return JobOut.model_validate(job, from_attributes=True)


@router.post("", status_code=201, responses=errors(400, 401, 403, 413))
async def upload_job(request: Request, _admin: ApiAdmin) -> JobOut:
    """Upload a video (multipart/form-data) and queue its ingest; poll ``GET /jobs/{id}`` for progress.

    Parts: ``file`` (the video, required), ``name`` (required), ``description``, ``year``, ``genres`` (comma
    separated), ``series`` + ``season`` + ``episode`` (to add an episode), ``subtitles`` (an SRT or WebVTT file)
    with ``subtitle_language``. The upload streams to disk with the size limit ``upload_max_mb``.
    """
    _check_csrf_header(request)
    runtime = get_runtime(request)
    received = await receive_upload(
        request,
        runtime.settings.uploads_dir,
        max_bytes=runtime.settings.upload_max_mb * 1_000_000,
        before_file=lambda _fields: None,
    )
    result = read_upload_fields(received.fields)
    problems = dict(result.errors)
    if "file" not in received.files:
        problems["file"] = "attach the video as the multipart part named 'file'"
    if problems:
        received.discard()
        text = "; ".join(f"{field}: {problem}" for field, problem in problems.items())
        raise BadRequest(f"cannot queue this upload: {text}", problems=problems)
    try:
        job = await run_in_threadpool(_submit, runtime, received, result.values)
    except BaseException:
        received.discard()
        raise
    request.app.state.job_runner.wake()
    return JobOut.model_validate(job, from_attributes=True)


def _submit(runtime: Runtime, received: Upload, values: dict[str, object]) -> IngestJob:
    options = {key: values[key] for key in ("description", "year", "genres", "series", "season", "episode")}
    options["delete_source"] = True
    if "subtitles" in received.files:
        options["subtitles"] = [[str(received.files["subtitles"].path), values["subtitle_language"]]]
    with runtime.db.session() as session:
        return jobs.submit(
            session, runtime.clock, source=received.files["file"].path, name=str(values["name"]), options=options
        )


def _check_csrf_header(request: Request) -> None:
    # The body is a large upload: with a cookie login the CSRF token must come in the header, before any byte.
    if request.state.login_kind == "cookie":
        given = request.headers.get(CSRF_HEADER, "")
        if not csrf_valid(get_runtime(request).secret, request.state.login_token, given):
            raise CsrfFailed("missing or wrong X-CSRF-Token header for a cookie-authenticated upload")

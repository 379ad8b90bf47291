"""``/api/v1/jobs``: ingest jobs and their progress (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from airwave.errors import NotFound
from airwave.store.tables import IngestJob
from airwave.web.api.common import ApiAdmin, errors
from airwave.web.api.schemas import JobOut
from airwave.web.deps import DbSession

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

"""The admin area (admins only): dashboard, titles, uploads and ingest jobs."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from airwave.web.deps import require_admin
from airwave.web.pages.admin import dashboard, jobs, titles, upload

router = APIRouter(dependencies=[Depends(require_admin)])
router.include_router(dashboard.router)
router.include_router(titles.router)
router.include_router(upload.router)
router.include_router(jobs.router)

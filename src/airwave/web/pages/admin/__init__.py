"""The admin area (admins only): dashboard, titles, uploads and ingest jobs."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from airwave.web.deps import require_admin
from airwave.web.pages.admin import (
    channel_rights,
    channels,
    dashboard,
    jobs,
    packages,
    plans,
    revenue,
    schedule,
    streams,
    titles,
    trace,
    upload,
    vouchers,
)

router = APIRouter(dependencies=[Depends(require_admin)])
router.include_router(dashboard.router)
router.include_router(titles.router)
router.include_router(upload.router)
router.include_router(jobs.router)
router.include_router(channel_rights.router)  # before channels: its /{slug}/{action} takes any word
router.include_router(channels.router)
router.include_router(schedule.router)
router.include_router(streams.router)
router.include_router(trace.router)
for _billing_page in (plans, packages, vouchers, revenue):
    router.include_router(_billing_page.router)

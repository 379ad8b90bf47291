"""The JSON API under ``/api/v1``."""

from __future__ import annotations

from fastapi import APIRouter

from airwave.web.api import auth, jobs, me, playback, titles

router = APIRouter()
for _module in (auth, titles, jobs, me, playback):
    router.include_router(_module.router)

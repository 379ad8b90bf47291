"""The JSON API under ``/api/v1``."""

from __future__ import annotations

from fastapi import APIRouter

from airwave.web.api import account, auth, billing, channels, epg, jobs, me, playback, subscribers, titles

router = APIRouter()
for _module in (auth, titles, jobs, me, playback, account, subscribers, channels, billing, epg):
    router.include_router(_module.router)

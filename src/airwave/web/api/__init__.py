"""The JSON API under ``/api/v1``."""

from __future__ import annotations

from fastapi import APIRouter

from airwave.web.api import (
    account,
    auth,
    billing,
    channel_rights,
    channels,
    epg,
    jobs,
    me,
    playback,
    subscribers,
    titles,
)

router = APIRouter()
for _module in (auth, titles, jobs, me, playback, account, subscribers, channels, channel_rights, billing, epg):
    router.include_router(_module.router)

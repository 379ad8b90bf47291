"""Server-rendered pages: the subscriber portal and the admin area."""

from __future__ import annotations

from fastapi import APIRouter

from airwave.web.pages import account, admin, channels, checkout, guide, login, portal, reset, signup
from airwave.web.pages.admin import subscribers

router = APIRouter(include_in_schema=False)
router.include_router(login.router)
router.include_router(portal.router)
router.include_router(channels.router)
router.include_router(guide.router)
router.include_router(admin.router)
for _module in (signup, checkout, reset, account, subscribers):
    router.include_router(_module.router)

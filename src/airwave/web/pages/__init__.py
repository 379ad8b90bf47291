"""Server-rendered pages: the subscriber portal and the admin area."""

from __future__ import annotations

from fastapi import APIRouter

from airwave.web.pages import admin, login, portal

router = APIRouter(include_in_schema=False)
router.include_router(login.router)
router.include_router(portal.router)
router.include_router(admin.router)

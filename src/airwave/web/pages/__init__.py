"""Server-rendered pages: the subscriber portal and the admin area."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)

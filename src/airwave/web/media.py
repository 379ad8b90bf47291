"""Playback routes under ``/p/{token}/``: personalised playlists and the shared segment files."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)

"""Which files of a title's media folder may be served, with what type and caching; pure."""

from __future__ import annotations

import re

# Segments and artwork never change once published (a re-ingest publishes a new folder): cache forever.
IMMUTABLE = "public, max-age=31536000, immutable"
# Playlists carry the session's token in their URL; no shared cache may keep them.
PRIVATE = "private, no-store"

CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".m4s": "video/mp4",
    ".mp4": "video/mp4",
    ".vtt": "text/vtt; charset=utf-8",
    ".jpg": "image/jpeg",
}

_PART = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$")


def servable(path: str) -> tuple[str, str] | None:
    """Return ``(content type, cache-control)`` for a relative media path that may be served, else None.

    Allowed: at most two levels of plain names (letters, digits, ``._-``, no leading dot, no ``..``)
    ending in a known media extension; everything else (traversal, absolute paths, hidden or unknown
    files) is refused.
    """
    parts = path.split("/")
    if not 1 <= len(parts) <= 2 or not all(_PART.match(part) for part in parts):
        return None
    dot = parts[-1].rfind(".")
    content_type = CONTENT_TYPES.get(parts[-1][dot:]) if dot > 0 else None
    if content_type is None:
        return None
    return content_type, PRIVATE if content_type == CONTENT_TYPES[".m3u8"] else IMMUTABLE

"""Serving a marked title's segments as each session's own A/B sequence (embedded mode: the origin decides).

Playlists list neutral names (``720p/seg_00007.m4s``) for everyone. For a session of a marked rendition the
origin resolves that name to ``720p/a/seg_00007.m4s`` or ``720p/b/...``, by bit 7 mod L of the session's
code (:func:`airwave.watermark.variants.variant_for`); the code is drawn when the session first asks for a
marked segment and stored, since leaks are traced days later. The variant never shows in a URL, and the
variant files themselves cannot be requested (their paths are three levels deep, which
:func:`~airwave.delivery.files.servable` refuses), so a client can neither see nor steer its sequence. The
responses are ``private``: a shared cache keyed on the neutral path would hand one session's copy to all.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from airwave.clock import Clock
from airwave.delivery.lookup import TTLCache
from airwave.store.engine import Database
from airwave.store.watermark import WatermarkCode
from airwave.watermark.codes import new_code
from airwave.watermark.variants import VARIANT_NAMES, variant_for

MARKED_CACHE = "private, max-age=31536000, immutable"
_SEGMENT = re.compile(r"^([A-Za-z0-9_-][A-Za-z0-9._-]{0,63})/(seg_(\d{1,9})\.m4s)$")
_CHECK_SECONDS = 30.0


@dataclass(frozen=True)
class SegmentFile:
    """Where a requested file is: ``folder / name`` (``name`` is servable), with its cache policy."""

    folder: Path
    name: str
    cache_control: str | None = None  # None: the file type's default
    variant: str = ""  # "a" or "b" for a marked segment


def variant_file(folder: Path, path: str, code: tuple[bytes, int] | None) -> SegmentFile:
    """Resolve ``path`` under a title's ``folder``: a segment of a marked rendition goes to the variant
    ``code`` selects; anything else (or no code: an unmarked rendition) stays as requested. Pure."""
    match = _SEGMENT.match(path)
    if code is None or match is None:
        return SegmentFile(folder, path)
    rendition, name, number = match.groups()
    variant = variant_for(code[0], code[1], int(number))
    return SegmentFile(folder / rendition / variant, name, MARKED_CACHE, variant)


def marked_rendition(path: str) -> str | None:
    """The rendition folder of a segment path, or None when ``path`` is not a segment."""
    match = _SEGMENT.match(path)
    return match.group(1) if match else None


def ensure_code(db: Database, clock: Clock, session_id: str, title_id: int, bits: int) -> tuple[bytes, int]:
    """The session's watermark code, drawn and stored on first use."""
    with db.session() as session:
        row = session.get(WatermarkCode, session_id)
        if row is not None:
            return row.code, row.bits
    code = new_code(bits)
    try:
        with db.session() as session:
            session.add(WatermarkCode(session_id=session_id, title_id=title_id, bits=bits, code=code,
                                      created_at=clock.now()))  # fmt: skip
        return code, bits
    except IntegrityError:  # a parallel request of the same session stored one first
        with db.session() as session:
            row = session.get_one(WatermarkCode, session_id)
            return row.code, row.bits


class VariantFiles:
    """The cached resolver the playback route calls for every segment."""

    def __init__(self, db: Database, clock: Clock, bits: int) -> None:
        self._db, self._clock, self._bits = db, clock, bits
        self._marked: TTLCache[Path, bool] = TTLCache()
        self._codes: TTLCache[str, tuple[bytes, int]] = TTLCache()

    async def locate(self, session_id: str, title_id: int, folder: Path, path: str) -> SegmentFile:
        """The file serving ``path`` to this session."""
        rendition = marked_rendition(path)
        if rendition is None or not self._is_marked(folder / rendition):
            return SegmentFile(folder, path)
        found, code = self._codes.get(session_id)
        if not found or code is None:
            code = await asyncio.to_thread(ensure_code, self._db, self._clock, session_id, title_id, self._bits)
            self._codes.put(session_id, code, float("inf"))
        return variant_file(folder, path, code)

    def _is_marked(self, rendition: Path) -> bool:
        found, marked = self._marked.get(rendition)
        if not found:
            marked = all((rendition / name).is_dir() for name in VARIANT_NAMES)
            self._marked.put(rendition, marked, _CHECK_SECONDS)
        return bool(marked)

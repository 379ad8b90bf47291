"""Serving a marked title's segments as each session's own A/B sequence, at the origin or at an edge.

Playlists list neutral names (``720p/seg_00007.m4s``) for everyone. For a session of a marked rendition the
origin resolves that name to ``720p/a/seg_00007.m4s`` or ``720p/b/...``, by bit 7 mod L of the session's
code (:func:`airwave.watermark.variants.variant_for`). The variant never shows in a URL, and the variant
files themselves cannot be requested (their paths are three levels deep, which
:func:`~airwave.delivery.files.servable` refuses), so a client can neither see nor steer its sequence.

The code is a keyed function of the session id (:func:`derived_code`: HMAC-SHA256 of the token root, which
only origins and edges hold), stored when the session starts (:func:`store_code`; first use for older ones)
since leaks are traced days later. So an edge, given the code length in the signed token, computes the same
bit for segment N as the origin, with no database and no round trip, and keys its cache on the neutral path
plus the variant: each variant of a segment is fetched and stored once and shared by every session whose code
has that bit. The origin names the variant it served (``X-Airwave-Variant``) to trusted proxies alone
(:func:`tells_variant`; a client must not learn its code), and the edge stores a response only when it agrees
and never passes the header on. The responses stay ``private`` for every other cache: one keyed on the neutral
path would hand one session's copy to all.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from airwave.clock import Clock
from airwave.delivery.lookup import TTLCache
from airwave.store.engine import Database
from airwave.store.watermark import WatermarkCode
from airwave.watermark.variants import VARIANT_NAMES, variant_for

MARKED_CACHE = "private, max-age=31536000, immutable"
VARIANT_HEADER = "X-Airwave-Variant"
_BLOCK_BITS = 256  # one HMAC-SHA256 output
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


def tells_variant(peer: str, trusted_proxies: tuple[str, ...]) -> bool:
    """Whether a response to ``peer`` may name its variant: only an edge (a trusted proxy) needs it."""
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in _networks(trusted_proxies))


@functools.lru_cache(maxsize=8)
def _networks(trusted_proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in trusted_proxies)


def marked_rendition(path: str) -> str | None:
    """The rendition folder of a segment path, or None when ``path`` is not a segment."""
    match = _SEGMENT.match(path)
    return match.group(1) if match else None


def code_key(root: bytes) -> bytes:
    """The key session codes derive from (a label of its own, so it signs nothing else)."""
    return hmac.new(root, b"airwave-watermark-code", hashlib.sha256).digest()


def derived_code(root: bytes, session_id: str, bits: int) -> bytes:
    """Session ``session_id``'s ``bits``-bit A/B code: blocks HMAC-SHA256(code key, "<session>\\n<block>").

    Unpredictable without the token root, fixed for the session, and computable by an edge one block
    (256 code positions) at a time: segment N needs only block (N mod bits) // 256. Pure.
    """
    key = code_key(root)
    blocks = -(-bits // _BLOCK_BITS)
    stream = b"".join(hmac.new(key, f"{session_id}\n{i}".encode(), hashlib.sha256).digest() for i in range(blocks))
    return stream[: -(-bits // 8)]


def ensure_code(
    db: Database, clock: Clock, session_id: str, title_id: int | None, bits: int, root: bytes, *, channel: str = ""
) -> tuple[bytes, int]:
    """The session's watermark code (:func:`derived_code`) for a title, or a ``channel`` (its slug), stored on
    first use."""
    with db.session() as session:
        row = session.get(WatermarkCode, session_id)
        if row is not None:
            return row.code, row.bits
    try:
        with db.session() as session:
            row = _code_row(clock, session_id, bits, root, title_id=title_id, channel=channel or None)
            session.add(row)
        return row.code, bits
    except IntegrityError:  # a parallel request of the same session stored one first
        with db.session() as session:
            row = session.get_one(WatermarkCode, session_id)
            return row.code, row.bits


def store_code(session: Session, clock: Clock, session_id: str, title_id: int, bits: int, root: bytes) -> None:
    """Store a new session's code as it starts, in its own transaction: an edge may serve the session wholly
    from its cache, so no segment request may ever reach an origin, yet a trace days later needs the code."""
    session.add(_code_row(clock, session_id, bits, root, title_id=title_id))
    session.flush()


def _code_row(
    clock: Clock, session_id: str, bits: int, root: bytes, *, title_id: int | None = None, channel: str | None = None
) -> WatermarkCode:
    return WatermarkCode(session_id=session_id, title_id=title_id, channel=channel, bits=bits,
                         code=derived_code(root, session_id, bits), created_at=clock.now())  # fmt: skip


class VariantFiles:
    """The cached resolver the playback route calls for every segment."""

    def __init__(self, db: Database, clock: Clock, bits: int, root: bytes) -> None:
        self._db, self._clock, self._bits, self._root = db, clock, bits, root
        self._marked: TTLCache[Path, bool] = TTLCache()
        self._codes: TTLCache[str, tuple[bytes, int]] = TTLCache()

    async def locate(self, session_id: str, title_id: int, folder: Path, path: str) -> SegmentFile:
        """The file serving ``path`` to this session."""
        rendition = marked_rendition(path)
        if rendition is None or not self._is_marked(folder / rendition):
            return SegmentFile(folder, path)
        found, code = self._codes.get(session_id)
        if not found or code is None:
            code = await asyncio.to_thread(
                ensure_code, self._db, self._clock, session_id, title_id, self._bits, self._root
            )
            self._codes.put(session_id, code, float("inf"))
        return variant_file(folder, path, code)

    def _is_marked(self, rendition: Path) -> bool:
        found, marked = self._marked.get(rendition)
        if not found:
            marked = all((rendition / name).is_dir() for name in VARIANT_NAMES)
            self._marked.put(rendition, marked, _CHECK_SECONDS)
        return bool(marked)

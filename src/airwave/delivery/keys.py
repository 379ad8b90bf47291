"""Content keys for HLS AES-128: derivation, rotation, playlist tags and segment encryption.

Every key is derived, never stored: ``HMAC-SHA256(keys root, "<content>\\n<period>")`` cut to 128 bits, where the
keys root derives from the runtime secret, ``content`` is ``t<title id>`` or ``c<channel slug>``, and
``period`` counts ``key_rotation_minutes`` of media time (on demand) or of wall-clock time (live). Every
origin that shares the secret serves the same keys; edges never see them.

Segments are encrypted on delivery, once: the first request of a segment writes its AES-128-CBC copy
(PKCS7 padding, IV = the segment's media sequence number, RFC 8216 5.2) under ``<data>/encrypted/`` and the
copy is then sent by sendfile like any file. The init section stays clear (EXT-X-MAP comes before the first
EXT-X-KEY), which RFC 8216 4.3.2.5 allows; it carries no media samples.

For LIVE-CORE (live channels), two ways, pick one:

* encrypt on delivery like VOD: in the media playlist put ``key_tag(key_uri(period))`` before the first segment
  of each key period (``live_period(runtime, segment.pdt)``), and serve segment files through
  ``encrypted_copy(runtime, "c<slug>", source, msn, period)``;
* or let ffmpeg encrypt: ``write_key_info(runtime, slug, now, folder)`` every key period and pass the returned
  file as ``-hls_key_info_file`` with ``-hls_flags periodic_rekey``.

Keys are served by ``web/media.py`` at ``/p/{token}/<prefix>keys/<period>.key`` (title and channel prefixes)
only to a live, entitled session holding its stream lease, with ``Cache-Control: no-store``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from airwave.hls.playlist import parse_media_playlist
from airwave.runtime import Runtime

KEY_BYTES = 16
KEY_PATH = "keys/"


def keys_root(secret: str) -> bytes:
    """The root all content keys derive from."""
    return hmac.new(secret.encode(), b"airwave-content-keys", hashlib.sha256).digest()


def content_key(root: bytes, content: str, period: int) -> bytes:
    """The 128-bit key of ``content`` (``t<id>`` or ``c<slug>``) for key period ``period``."""
    return hmac.new(root, f"{content}\n{period}".encode(), hashlib.sha256).digest()[:KEY_BYTES]


def runtime_key(runtime: Runtime, content: str, period: int) -> bytes:
    """:func:`content_key` with the runtime's secret."""
    return content_key(keys_root(runtime.secret), content, period)


def rotation_seconds(runtime: Runtime) -> float:
    return runtime.settings.key_rotation_minutes * 60


def live_period(runtime: Runtime, moment: dt.datetime) -> int:
    """The key period of a live segment that starts at ``moment`` (its EXT-X-PROGRAM-DATE-TIME)."""
    return int(moment.timestamp() // rotation_seconds(runtime))


def key_uri(period: int, depth: int = 1) -> str:
    """The key's URI relative to a media playlist ``depth`` folders below the content prefix."""
    return "../" * depth + f"{KEY_PATH}{period}.key"


def key_tag(uri: str) -> str:
    # No IV attribute: the IV is each segment's media sequence number (RFC 8216 5.2).
    return f'#EXT-X-KEY:METHOD=AES-128,URI="{uri}"'


def parse_key_path(path: str) -> int | None:
    """The period of ``keys/<period>.key``, or None for any other path."""
    if not path.startswith(KEY_PATH) or not path.endswith(".key"):
        return None
    number = path[len(KEY_PATH) : -len(".key")]
    return int(number) if number.isdigit() and len(number) < 12 else None


def encrypt_vod_playlist(text: str, period_seconds: float) -> str:
    """Add EXT-X-KEY tags to an on-demand media playlist: a new key every ``period_seconds`` of media."""
    out: list[str] = []
    elapsed, current = 0.0, -1
    pending: list[str] = []
    for line in text.splitlines():
        if line.startswith("#EXTINF:"):
            pending.append(line)
            continue
        if line and not line.startswith("#") and pending:
            period = int(elapsed // period_seconds)
            if period != current:
                out.append(key_tag(key_uri(period)))
                current = period
            out += [*pending, line]
            elapsed += float(pending[0].removeprefix("#EXTINF:").partition(",")[0])
            pending = []
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def vod_segments(playlist_text: str, period_seconds: float) -> dict[str, tuple[int, int]]:
    """``{segment uri: (media sequence number, key period)}`` of an on-demand media playlist."""
    playlist = parse_media_playlist(playlist_text)
    found: dict[str, tuple[int, int]] = {}
    elapsed = 0.0
    for index, segment in enumerate(playlist.segments):
        found[segment.uri] = (playlist.media_sequence + index, int(elapsed // period_seconds))
        elapsed += segment.duration
    return found


def encrypt(data: bytes, key: bytes, sequence: int) -> bytes:
    """AES-128-CBC with PKCS7 padding, IV = ``sequence`` as a 128-bit big-endian number."""
    padder = padding.PKCS7(128).padder()
    padded = padder.update(data) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(sequence.to_bytes(16, "big"))).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def decrypt(data: bytes, key: bytes, sequence: int) -> bytes:
    """The inverse of :func:`encrypt` (for tests and tools)."""
    decryptor = Cipher(algorithms.AES(key), modes.CBC(sequence.to_bytes(16, "big"))).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def encrypted_copy(runtime: Runtime, content: str, source: Path, sequence: int, period: int, name: str) -> Path:
    """The encrypted copy of ``source`` (made on first use, atomically); ``name`` is its relative path."""
    target = runtime.settings.data / "encrypted" / content / name
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    data = encrypt(source.read_bytes(), runtime_key(runtime, content, period), sequence)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temporary, target)
    return target


def write_key_info(runtime: Runtime, slug: str, now: dt.datetime, folder: Path) -> Path:
    """Write the current live key and an ffmpeg key info file (``-hls_key_info_file``) into ``folder``.

    The key info file's three lines: the key URI as the playlist should carry it, the key file, and no IV
    (ffmpeg then uses the media sequence number, as the players expect).
    """
    period = live_period(runtime, now)
    folder.mkdir(parents=True, exist_ok=True)
    key_file = folder / f"{period}.key"
    key_file.write_bytes(runtime_key(runtime, f"c{slug}", period))
    info = folder / "key_info.txt"
    temporary = folder / "key_info.txt.part"
    temporary.write_text(f"{key_uri(period)}\n{key_file}\n")
    os.replace(temporary, info)
    return info

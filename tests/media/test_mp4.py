from __future__ import annotations

import struct

import pytest

from airwave.errors import MediaError
from airwave.media.mp4 import avc_codec


def box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def init_segment(profile: int, constraints: int, level: int) -> bytes:
    avcc = box(b"avcC", bytes([1, profile, constraints, level, 0xFF, 0xE1]))
    avc1 = box(b"avc1", bytes(78) + avcc)
    stsd = box(b"stsd", bytes(8) + avc1)
    nested = box(b"moov", box(b"trak", box(b"mdia", box(b"minf", box(b"stbl", stsd)))))
    return box(b"ftyp", b"iso6") + nested


def test_reads_profile_constraints_and_level() -> None:
    assert avc_codec(init_segment(0x64, 0x00, 0x1F)) == "avc1.64001F"
    assert avc_codec(init_segment(0x42, 0xC0, 0x0C)) == "avc1.42C00C"


def test_no_avcc_is_an_error() -> None:
    with pytest.raises(MediaError, match="avcC"):
        avc_codec(box(b"ftyp", b"iso6") + box(b"moov", b""))

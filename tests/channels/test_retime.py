"""Giving a re-encoded fMP4 segment the original's timeline: tfdt and sidx move, nothing else does."""

from __future__ import annotations

import struct

import pytest

from airwave.channels.retime import Track, base_times, retime, tracks
from airwave.errors import MediaError
from airwave.media.fmp4 import box, full_box


def _trak(track_id: int, handler: bytes, timescale: int) -> bytes:
    tkhd = full_box(b"tkhd", 0, 3, struct.pack(">III", 0, 0, track_id), bytes(68))
    mdhd = full_box(b"mdhd", 0, 0, struct.pack(">III", 0, 0, timescale), bytes(8))
    hdlr = full_box(b"hdlr", 0, 0, struct.pack(">I", 0), handler, bytes(12), b"\0")
    return box(b"trak", tkhd, box(b"mdia", mdhd, hdlr))


def _traf(track_id: int, time: int, version: int) -> bytes:
    tfdt = full_box(b"tfdt", version, 0, struct.pack(">Q" if version else ">I", time))
    return box(
        b"traf", full_box(b"tfhd", 0, 0x20000, struct.pack(">I", track_id)), tfdt, full_box(b"trun", 0, 0, bytes(4))
    )


def _sidx(track_id: int, timescale: int, earliest: int) -> bytes:
    return full_box(b"sidx", 1, 0, struct.pack(">IIQQ", track_id, timescale, earliest, 0), bytes(16))


INIT = box(b"ftyp", b"iso6") + box(b"moov", _trak(1, b"vide", 12800), _trak(2, b"soun", 48000))
SEGMENT = (
    box(b"styp", b"msdh")
    + _sidx(1, 12800, 100)
    + _sidx(2, 48000, 0)
    + box(b"moof", full_box(b"mfhd", 0, 0, struct.pack(">I", 1)), _traf(1, 100, 1), _traf(2, 0, 0))
    + box(b"mdat", b"samples")
)


def test_tracks_reads_ids_handlers_and_timescales() -> None:
    assert tracks(INIT) == [Track(1, "vide", 12800), Track(2, "soun", 48000)]


def test_retime_moves_each_track_and_its_sidx_and_keeps_everything_else() -> None:
    moved = retime(SEGMENT, {1: 25_700, 2: 96_000})
    assert base_times(moved) == {1: 25_700, 2: 96_000}
    assert len(moved) == len(SEGMENT)
    assert moved.endswith(box(b"mdat", b"samples"))
    earliest = [struct.unpack_from(">Q", moved, i + 16)[0] for i in range(len(moved)) if moved[i : i + 4] == b"sidx"]
    assert earliest == [25_700, 96_000]


def test_a_time_that_does_not_fit_a_version_0_box_is_refused() -> None:
    with pytest.raises(MediaError, match="version-0"):
        retime(SEGMENT, {2: 2**33})

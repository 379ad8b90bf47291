"""Giving a re-encoded fMP4 segment the timeline of the segment it replaces. Pure.

A marked live segment is encoded on its own, so its tracks start at time zero; served in place of the
original it must start where the original did, or players see time jump back at every segment. Each track
fragment's ``tfdt`` (ISO/IEC 14496-12 8.8.12: baseMediaDecodeTime) is set to the original's start, and each
``sidx`` (8.16.3: earliest_presentation_time) moves by the same amount, so the segment's samples keep their
durations and offsets and only their origin moves.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from airwave.errors import MediaError


@dataclass(frozen=True)
class Track:
    """One track of an initialisation segment: its id, handler (``vide``, ``soun``) and timescale."""

    track_id: int
    handler: str
    timescale: int


def tracks(init: bytes) -> list[Track]:
    """The tracks declared by ``init`` (moov/trak: tkhd, mdia/mdhd, mdia/hdlr).

    Raises:
        MediaError: a track lacks one of those boxes.
    """
    found = []
    for kind, _start, body, end in _boxes(init, 0, len(init)):
        if kind == b"moov":
            found += [_track(init, inner, inner_end) for trak, _s, inner, inner_end in _boxes(init, body, end)
                      if trak == b"trak"]  # fmt: skip
    return found


def base_times(segment: bytes) -> dict[int, int]:
    """Each track's baseMediaDecodeTime in ``segment`` (from its first ``traf``)."""
    times: dict[int, int] = {}
    for traf_body, traf_end in _trafs(segment):
        track_id, value = _traf_time(segment, traf_body, traf_end)
        times.setdefault(track_id, value[0])
    return times


def retime(segment: bytes, starts: dict[int, int]) -> bytes:
    """``segment`` with track ``t``'s fragments starting at ``starts[t]`` (its timescale); others untouched.

    Raises:
        MediaError: a track has no ``tfdt``, or a version-0 box cannot hold the new time.
    """
    data = bytearray(segment)
    current = base_times(segment)
    shifts = {track: starts[track] - current[track] for track in starts if track in current}
    for traf_body, traf_end in _trafs(segment):
        track_id, (value, position, version) = _traf_time(segment, traf_body, traf_end)
        if track_id in shifts:
            _put(data, position, version, value + shifts[track_id])
    for kind, _start, body, _end in _boxes(segment, 0, len(segment)):
        if kind == b"sidx":
            _shift_sidx(data, body, shifts)
    return bytes(data)


def _track(data: bytes, body: int, end: int) -> Track:
    track_id = handler = timescale = None
    for kind, _start, inner, inner_end in _boxes(data, body, end):
        if kind == b"tkhd":
            version = data[inner]
            track_id = struct.unpack_from(">I", data, inner + (20 if version == 1 else 12))[0]
        elif kind == b"mdia":
            for child, _s, child_body, _e in _boxes(data, inner, inner_end):
                if child == b"mdhd":
                    version = data[child_body]
                    timescale = struct.unpack_from(">I", data, child_body + (20 if version == 1 else 12))[0]
                elif child == b"hdlr":
                    handler = data[child_body + 8 : child_body + 12].decode("latin-1")
    if track_id is None or handler is None or timescale is None:
        raise MediaError("an initialisation segment's track lacks tkhd, mdhd or hdlr")
    return Track(track_id, handler, timescale)


def _trafs(data: bytes) -> Iterator[tuple[int, int]]:
    for kind, _start, body, end in _boxes(data, 0, len(data)):
        if kind == b"moof":
            for child, _s, child_body, child_end in _boxes(data, body, end):
                if child == b"traf":
                    yield child_body, child_end


def _traf_time(data: bytes, body: int, end: int) -> tuple[int, tuple[int, int, int]]:
    track_id = None
    time = None
    for kind, _start, inner, _end in _boxes(data, body, end):
        if kind == b"tfhd":
            track_id = struct.unpack_from(">I", data, inner + 4)[0]
        elif kind == b"tfdt":
            version = data[inner]
            value = struct.unpack_from(">Q" if version == 1 else ">I", data, inner + 4)[0]
            time = (value, inner + 4, version)
    if track_id is None or time is None:
        raise MediaError("a track fragment lacks tfhd or tfdt")
    return track_id, time


def _shift_sidx(data: bytearray, body: int, shifts: dict[int, int]) -> None:
    # sidx: version, flags, reference_ID, timescale, earliest_presentation_time (32 or 64 bits), ...
    version = data[body]
    reference, _timescale = struct.unpack_from(">II", data, body + 4)
    if reference not in shifts:
        return
    position = body + 12
    value = struct.unpack_from(">Q" if version == 1 else ">I", data, position)[0]
    _put(data, position, version, value + shifts[reference])


def _put(data: bytearray, position: int, version: int, value: int) -> None:
    if value < 0 or (version == 0 and value >= 2**32):
        raise MediaError(f"cannot store time {value} in a version-{version} box")
    struct.pack_into(">Q" if version == 1 else ">I", data, position, value)


def _boxes(data: bytes, position: int, end: int) -> Iterator[tuple[bytes, int, int, int]]:
    """(type, box start, body start, box end) of each box in ``data[position:end]``."""
    while position + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, position)
        header = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, position + 8)
            header = 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            return
        yield kind, position, position + header, position + size
        position += size

"""Reading the codec string (RFC 6381) out of an fMP4 initialisation segment. Pure.

HLS CODECS for H.264 is ``avc1.PPCCLL``: profile, constraint flags and level, the first three bytes after
the version in the ``avcC`` box (ISO/IEC 14496-15 5.3.3.1), found at moov/trak/mdia/minf/stbl/stsd/avc1.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from airwave.errors import MediaError

_CONTAINERS = (b"moov", b"trak", b"mdia", b"minf", b"stbl")
_STSD_HEADER = 8  # version, flags, entry count
_VISUAL_SAMPLE_ENTRY = 78  # ISO/IEC 14496-12 12.1.3: fields before the child boxes


def avc_codec(init: bytes) -> str:
    """The ``avc1.PPCCLL`` string of the first H.264 track in ``init``.

    Raises:
        MediaError: there is no avcC box.
    """
    config = _find_avcc(init)
    if config is None or len(config) < 4:
        raise MediaError("no H.264 configuration (avcC box) in the initialisation segment")
    return "avc1." + config[1:4].hex().upper()


def _find_avcc(data: bytes) -> bytes | None:
    for kind, body in _boxes(data):
        if kind in _CONTAINERS:
            found = _find_avcc(body)
            if found is not None:
                return found
        elif kind == b"stsd":
            for entry, entry_body in _boxes(body[_STSD_HEADER:]):
                if entry in (b"avc1", b"avc3"):
                    children = dict(_boxes(entry_body[_VISUAL_SAMPLE_ENTRY:]))
                    return children.get(b"avcC")
    return None


def _boxes(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    position = 0
    while position + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, position)
        header = 8
        if size == 1:  # a 64-bit size follows the type
            (size,) = struct.unpack_from(">Q", data, position + 8)
            header = 16
        elif size == 0:  # the box runs to the end
            size = len(data) - position
        if size < header or position + size > len(data):
            return
        yield kind, data[position + header : position + size]
        position += size

"""The parts of RTMP an ingest server needs, pure: AMF0 values, the chunk stream, FLV tags.

References: Adobe "Real-Time Messaging Protocol (RTMP) specification" 1.0 (5.3 chunking, 5.4 protocol
control messages, 7.2 commands), "Action Message Format -- AMF 0", and the FLV file format (E.4 tags).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

HANDSHAKE_SIZE = 1536
DEFAULT_CHUNK_SIZE = 128

# Message types (RTMP 5.4, 7.1)
SET_CHUNK_SIZE, ABORT, ACK, USER_CONTROL, WINDOW_ACK_SIZE, SET_PEER_BANDWIDTH = 1, 2, 3, 4, 5, 6
AUDIO, VIDEO, DATA_AMF3, COMMAND_AMF3, DATA_AMF0, COMMAND_AMF0 = 8, 9, 15, 17, 18, 20


class ProtocolError(Exception):
    """The peer sent something that is not RTMP as we speak it."""


# --- AMF0 -------------------------------------------------------------------------------------------------


def amf_decode(data: bytes) -> list[Any]:
    """Every AMF0 value in ``data``, in order."""
    values, offset = [], 0
    while offset < len(data):
        value, offset = _decode(data, offset)
        values.append(value)
    return values


def _decode(data: bytes, at: int) -> tuple[Any, int]:
    marker = data[at]
    at += 1
    if marker == 0x00:
        return struct.unpack_from(">d", data, at)[0], at + 8
    if marker == 0x01:
        return data[at] != 0, at + 1
    if marker == 0x02:
        return _string(data, at)
    if marker in (0x03, 0x08):  # object, ECMA array (with a 4-byte count we do not need)
        return _object(data, at + (4 if marker == 0x08 else 0))
    if marker in (0x05, 0x06):
        return None, at
    if marker == 0x0A:
        count = struct.unpack_from(">I", data, at)[0]
        at += 4
        items = []
        for _ in range(count):
            item, at = _decode(data, at)
            items.append(item)
        return items, at
    if marker == 0x0B:
        return struct.unpack_from(">d", data, at)[0], at + 10
    if marker == 0x0C:
        size = struct.unpack_from(">I", data, at)[0]
        return data[at + 4 : at + 4 + size].decode("utf-8", "replace"), at + 4 + size
    raise ProtocolError(f"unsupported AMF0 type 0x{marker:02x}")


def _string(data: bytes, at: int) -> tuple[str, int]:
    size = struct.unpack_from(">H", data, at)[0]
    return data[at + 2 : at + 2 + size].decode("utf-8", "replace"), at + 2 + size


def _object(data: bytes, at: int) -> tuple[dict[str, Any], int]:
    result: dict[str, Any] = {}
    while at + 3 <= len(data):
        if data[at : at + 3] == b"\x00\x00\x09":
            return result, at + 3
        key, at = _string(data, at)
        result[key], at = _decode(data, at)
    raise ProtocolError("AMF0 object without an end marker")


def amf_encode(*values: Any) -> bytes:
    """AMF0 encoding of numbers, booleans, strings, None and dicts (as objects)."""
    return b"".join(_encode(value) for value in values)


def _encode(value: Any) -> bytes:
    if value is None:
        return b"\x05"
    if isinstance(value, bool):
        return b"\x01" + bytes([value])
    if isinstance(value, int | float):
        return b"\x00" + struct.pack(">d", float(value))
    if isinstance(value, str):
        raw = value.encode()
        return b"\x02" + struct.pack(">H", len(raw)) + raw
    if isinstance(value, dict):
        body = b"".join(struct.pack(">H", len(k.encode())) + k.encode() + _encode(v) for k, v in value.items())
        return b"\x03" + body + b"\x00\x00\x09"
    raise TypeError(f"cannot encode {type(value).__name__} as AMF0")


# --- chunk stream -----------------------------------------------------------------------------------------


@dataclass
class Message:
    type: int
    stream_id: int
    timestamp: int
    payload: bytes


@dataclass
class _ChunkState:
    timestamp: int = 0
    delta: int = 0
    length: int = 0
    type: int = 0
    stream_id: int = 0
    extended: bool = False
    buffer: bytearray = field(default_factory=bytearray)


class ChunkReader:
    """Reassembles messages from chunks. Feed bytes with :meth:`feed`, take whole messages from the result."""

    def __init__(self) -> None:
        self.chunk_size = DEFAULT_CHUNK_SIZE
        self._data = bytearray()
        self._streams: dict[int, _ChunkState] = {}

    def feed(self, data: bytes) -> list[Message]:
        self._data += data
        messages: list[Message] = []
        while True:
            progressed, taken = self._one_chunk()
            if not progressed:
                return messages
            if taken is None:
                continue
            if taken.type == SET_CHUNK_SIZE:  # takes effect for the very next chunk
                self.chunk_size = struct.unpack(">I", taken.payload[:4])[0] & 0x7FFFFFFF
                if not 1 <= self.chunk_size <= 0xFFFFFF:
                    raise ProtocolError(f"bad chunk size {self.chunk_size}")
            messages.append(taken)

    def _one_chunk(self) -> tuple[bool, Message | None]:
        """Consume one chunk if it is all there: (False, None) when more bytes are needed."""
        data = self._data
        if not data:
            return False, None
        fmt, csid, at = data[0] >> 6, data[0] & 0x3F, 1
        if csid == 0:
            if len(data) < 2:
                return False, None
            csid, at = 64 + data[1], 2
        elif csid == 1:
            if len(data) < 3:
                return False, None
            csid, at = 64 + data[1] + data[2] * 256, 3
        state = self._streams.setdefault(csid, _ChunkState())
        header = (11, 7, 3, 0)[fmt]
        if len(data) < at + header:
            return False, None
        raw_time = int.from_bytes(data[at : at + 3], "big") if fmt < 3 else None
        extended = raw_time == 0xFFFFFF if raw_time is not None else state.extended
        ext_size = 4 if extended else 0
        if len(data) < at + header + ext_size:
            return False, None
        starting = not state.buffer
        body = at + header + ext_size
        size = min(self.chunk_size, (state.length if fmt == 3 else _length(data, at, fmt, state)) - len(state.buffer))
        if len(data) < body + size:
            return False, None
        self._apply_header(state, fmt, data, at, extended, starting)
        state.buffer += data[body : body + size]
        del data[: body + size]
        if len(state.buffer) < state.length:
            return True, None
        message = Message(state.type, state.stream_id, state.timestamp, bytes(state.buffer))
        state.buffer = bytearray()
        return True, message

    def _apply_header(self, state: _ChunkState, fmt: int, data: bytearray, at: int, extended: bool,
                      starting: bool) -> None:  # fmt: skip
        value = int.from_bytes(data[at : at + 3], "big") if fmt < 3 else 0
        if extended and fmt < 3:
            value = int.from_bytes(data[at + (11, 7, 3)[fmt] : at + (11, 7, 3)[fmt] + 4], "big")
        state.extended = extended
        if fmt <= 1:
            state.length = int.from_bytes(data[at + 3 : at + 6], "big")
            state.type = data[at + 6]
        if fmt == 0:
            state.stream_id = int.from_bytes(data[at + 7 : at + 11], "little")
            state.timestamp, state.delta = value, 0
        elif fmt in (1, 2):
            state.delta = value
            state.timestamp += value
        elif starting:  # fmt 3 starting a new message: the previous delta again
            state.timestamp += state.delta


def _length(data: bytearray, at: int, fmt: int, state: _ChunkState) -> int:
    return int.from_bytes(data[at + 3 : at + 6], "big") if fmt <= 1 else state.length


def chunk_message(message: Message, csid: int, chunk_size: int) -> bytes:
    """Split one message into chunks: a type 0 header, then type 3 continuations."""
    payload = message.payload
    header = bytes([csid]) + min(message.timestamp, 0xFFFFFF).to_bytes(3, "big")
    header += len(payload).to_bytes(3, "big") + bytes([message.type]) + message.stream_id.to_bytes(4, "little")
    parts = [header, payload[:chunk_size]]
    for offset in range(chunk_size, len(payload), chunk_size):
        parts += [bytes([0xC0 | csid]), payload[offset : offset + chunk_size]]
    return b"".join(parts)


# --- FLV --------------------------------------------------------------------------------------------------

FLV_HEADER = b"FLV\x01\x05\x00\x00\x00\x09" + b"\x00\x00\x00\x00"  # audio+video, then PreviousTagSize0


def flv_tag(tag_type: int, timestamp: int, payload: bytes) -> bytes:
    """One FLV tag and its PreviousTagSize (FLV E.4.1)."""
    ts = timestamp & 0xFFFFFFFF
    header = bytes([tag_type]) + len(payload).to_bytes(3, "big") + (ts & 0xFFFFFF).to_bytes(3, "big")
    header += bytes([ts >> 24]) + b"\x00\x00\x00"
    return header + payload + (len(header) + len(payload)).to_bytes(4, "big")


SET_DATA_FRAME = amf_encode("@setDataFrame")


def metadata_payload(payload: bytes) -> bytes:
    """An ``@setDataFrame`` data message as the FLV script tag it stands for (``onMetaData`` ...)."""
    return payload[len(SET_DATA_FRAME) :] if payload.startswith(SET_DATA_FRAME) else payload

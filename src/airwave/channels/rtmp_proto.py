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
    """Reassembles messages from chunks. Feed bytes with :meth:`feed`, take whole messages from the result.

    It walks the received bytes with an offset and drops what it consumed once a call: at a few hundred
    streams of 4096-byte chunks this loop is most of what the ingest costs, so it copies each byte once.
    """

    def __init__(self) -> None:
        self.chunk_size = DEFAULT_CHUNK_SIZE
        self._data = bytearray()
        self._streams: dict[int, _ChunkState] = {}

    def feed(self, data: bytes) -> list[Message]:
        buffer = self._data
        buffer += data
        messages: list[Message] = []
        at, end = 0, len(buffer)
        with memoryview(buffer) as view:
            while at < end:
                taken = self._one_chunk(buffer, view, at, end)
                if taken is None:
                    break
                at, message = taken
                if message is None:
                    continue
                if message.type == SET_CHUNK_SIZE:  # takes effect for the very next chunk
                    self.chunk_size = struct.unpack(">I", message.payload[:4])[0] & 0x7FFFFFFF
                    if not 1 <= self.chunk_size <= 0xFFFFFF:
                        raise ProtocolError(f"bad chunk size {self.chunk_size}")
                messages.append(message)
        del buffer[:at]
        return messages

    def _one_chunk(self, data: bytearray, view: memoryview, at: int, end: int) -> tuple[int, Message | None] | None:
        """Consume the chunk at ``at`` if it is all there: (where the next starts, a completed message or None);
        None when more bytes are needed."""
        first = data[at]
        fmt, csid = first >> 6, first & 0x3F
        at += 1
        if csid == 0:
            if end - at < 1:
                return None
            csid, at = 64 + data[at], at + 1
        elif csid == 1:
            if end - at < 2:
                return None
            csid, at = 64 + data[at] + data[at + 1] * 256, at + 2
        state = self._streams.get(csid)
        if state is None:
            state = self._streams[csid] = _ChunkState()
        header = (11, 7, 3, 0)[fmt]
        if end - at < header:
            return None
        extended = int.from_bytes(data[at : at + 3], "big") == 0xFFFFFF if fmt < 3 else state.extended
        body = at + header + (4 if extended else 0)
        length = int.from_bytes(data[at + 3 : at + 6], "big") if fmt <= 1 else state.length
        size = min(self.chunk_size, length - len(state.buffer))
        if end < body + size:
            return None
        starting = not state.buffer
        self._apply_header(state, fmt, data, at, extended, starting)
        if starting and size == state.length:  # a whole message in one chunk: no reassembly
            return body + size, Message(state.type, state.stream_id, state.timestamp, bytes(view[body : body + size]))
        state.buffer += view[body : body + size]
        if len(state.buffer) < state.length:
            return body + size, None
        message = Message(state.type, state.stream_id, state.timestamp, bytes(state.buffer))
        state.buffer = bytearray()
        return body + size, message

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


def flv_tags(data: bytes) -> list[tuple[int, int, bytes]]:
    """The (type, timestamp, body) of every tag of an FLV file (E.2 header, E.3 body), in order."""
    if data[:3] != b"FLV":
        raise ProtocolError("not an FLV file")
    at = int.from_bytes(data[5:9], "big") + 4  # the header, then PreviousTagSize0
    tags = []
    while at + 11 <= len(data):
        size = int.from_bytes(data[at + 1 : at + 4], "big")
        timestamp = int.from_bytes(data[at + 4 : at + 7], "big") | data[at + 7] << 24
        if at + 11 + size > len(data):
            break
        tags.append((data[at] & 0x1F, timestamp, data[at + 11 : at + 11 + size]))
        at += 11 + size + 4
    return tags

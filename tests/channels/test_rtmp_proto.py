"""RTMP chunk stream and AMF0, as an encoder speaks them."""

from __future__ import annotations

import struct

import pytest

from airwave.channels.rtmp_proto import (
    SET_CHUNK_SIZE,
    VIDEO,
    ChunkReader,
    Message,
    ProtocolError,
    amf_decode,
    amf_encode,
    chunk_message,
    flv_tag,
)  # fmt: skip


def test_amf0_round_trip() -> None:
    values = ["connect", 1.0, {"app": "live", "flag": True, "nothing": None}, None]
    assert amf_decode(amf_encode(*values)) == values
    with pytest.raises(ProtocolError):
        amf_decode(b"\x42")


def test_messages_split_over_chunks_and_bytes_reassemble() -> None:
    big = Message(VIDEO, 1, 40, bytes(range(256)) * 3)
    data = chunk_message(Message(SET_CHUNK_SIZE, 0, 0, struct.pack(">I", 100)), 2, 128)
    data += chunk_message(big, 6, 100)
    reader = ChunkReader()
    messages = []
    for offset in range(0, len(data), 7):  # arriving a few bytes at a time
        messages += reader.feed(data[offset : offset + 7])
    assert reader.chunk_size == 100
    assert messages[-1] == big


def test_extended_timestamps() -> None:
    header = bytes([0x06]) + b"\xff\xff\xff" + (3).to_bytes(3, "big") + bytes([VIDEO]) + (1).to_bytes(4, "little")
    data = header + (0x01234567).to_bytes(4, "big") + b"abc"
    (message,) = ChunkReader().feed(data)
    assert (message.timestamp, message.payload) == (0x01234567, b"abc")


def test_flv_tag_layout() -> None:
    tag = flv_tag(VIDEO, 0x01020304, b"xyz")
    assert tag[0] == VIDEO
    assert tag[4:8] == bytes([0x02, 0x03, 0x04, 0x01])  # 24-bit timestamp, then its upper byte
    assert tag[-4:] == (11 + 3).to_bytes(4, "big")

"""Many RTMP publishers from one process: a pre-encoded FLV replayed in real time on every connection.

Why not an ffmpeg per source: a few hundred source processes would take the CPU the bench means to measure.
Here each connection does a real RTMP handshake and publish, then the clip's messages, chunked (4096-byte
chunks, as OBS and ffmpeg send) once up front, are written in 100 ms batches at their timestamps, looped with
timestamps that keep increasing. The process pins itself to the last CPU. When the server reads too slowly,
bytes queue in this process: the largest queue, in seconds of media, is printed at the end as ``backlog``.

Run: ``python -m bench.rtmp_load CLIP.flv PORT SECONDS KEY...``; prints ``ready`` once every stream is
publishing, then ``backlog <seconds> cpu <seconds>`` when done.
"""

from __future__ import annotations

import asyncio
import functools
import os
import struct
import sys
import time
from dataclasses import dataclass

from airwave.channels.rtmp_proto import (
    AUDIO,
    COMMAND_AMF0,
    HANDSHAKE_SIZE,
    SET_CHUNK_SIZE,
    VIDEO,
    ChunkReader,
    Message,
    amf_decode,
    amf_encode,
    chunk_message,
    flv_tags,
)  # fmt: skip

CHUNK = 4096
BATCH_MS = 100
CSID = {AUDIO: 4, VIDEO: 6}
STREAM_ID = 1
CONNECT_TIMEOUT = 30.0
STAGGER_MS = 2000  # one keyframe interval of the bench clip


@dataclass(frozen=True)
class Replay:
    """The clip as bytes to send: ``first`` (absolute timestamps) then ``again`` forever, in batches."""

    first: list[tuple[int, bytes]]  # (ms from the start of the loop, bytes)
    again: list[tuple[int, bytes]]
    length_ms: int
    bytes_per_ms: float


def prepare(data: bytes) -> Replay:
    """Chunk every message once: a type 0 header for each stream's first message, then type 1 (delta) headers,
    the first messages of a repeat taking their delta across the loop's end."""
    tags = [(kind, ts, body) for kind, ts, body in flv_tags(data) if kind in (AUDIO, VIDEO)]
    video = sorted(ts for kind, ts, body in tags if kind == VIDEO and not _is_config(kind, body))
    length = video[-1] + (video[1] - video[0])  # the loop ends one frame after its last picture
    media = [(k, ts, b) for k, ts, b in tags if not _is_config(k, b) and ts < length]
    first = [(0, _full(k, 0, b)) for k, ts, b in tags if _is_config(k, b)]
    again = []
    previous: dict[int, int] = {}
    repeat_previous = {kind: max(ts for k, ts, _ in media if k == kind) - length for kind in CSID}
    for kind, ts, body in media:
        if kind in previous:
            first.append((ts, _delta(kind, ts - previous[kind], body)))
        else:
            first.append((ts, _full(kind, ts, body)))
        again.append((ts, _delta(kind, ts - repeat_previous[kind], body)))
        previous[kind] = repeat_previous[kind] = ts
    return Replay(_batches(first), _batches(again), length, len(data) / length)


def _is_config(kind: int, body: bytes) -> bool:
    return len(body) > 1 and body[1] == 0  # AVC sequence header / AAC AudioSpecificConfig


def _full(kind: int, timestamp: int, body: bytes) -> bytes:
    return chunk_message(Message(kind, STREAM_ID, timestamp, body), CSID[kind], CHUNK)


def _delta(kind: int, delta: int, body: bytes) -> bytes:
    csid = CSID[kind]
    header = bytes([0x40 | csid]) + delta.to_bytes(3, "big") + len(body).to_bytes(3, "big") + bytes([kind])
    parts = [header, body[:CHUNK]]
    for offset in range(CHUNK, len(body), CHUNK):
        parts += [bytes([0xC0 | csid]), body[offset : offset + CHUNK]]
    return b"".join(parts)


def _batches(messages: list[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
    grouped: dict[int, list[bytes]] = {}
    for ts, raw in messages:
        grouped.setdefault(ts // BATCH_MS * BATCH_MS, []).append(raw)
    return [(at, b"".join(parts)) for at, parts in sorted(grouped.items())]


class Publisher(asyncio.Protocol):
    """One publishing connection: the handshake and commands, then whatever the replay writes."""

    def __init__(self, key: str, ready: asyncio.Future[None]) -> None:
        self.key, self.ready = key, ready
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._stage = "s0s1s2"
        self._reader = ChunkReader()
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(b"\x03" + bytes(HANDSHAKE_SIZE))

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        if self._stage == "s0s1s2":
            self._buffer += data
            if len(self._buffer) < 1 + 2 * HANDSHAKE_SIZE:
                return
            s1 = bytes(self._buffer[1 : 1 + HANDSHAKE_SIZE])
            data = bytes(self._buffer[1 + 2 * HANDSHAKE_SIZE :])
            self._stage = "commands"
            self.transport.write(s1)  # C2 echoes S1
            self._send(Message(SET_CHUNK_SIZE, 0, 0, struct.pack(">I", CHUNK)), 2)
            connect = {"app": "live", "type": "nonprivate", "tcUrl": "rtmp://127.0.0.1/live"}
            self._send(Message(COMMAND_AMF0, 0, 0, amf_encode("connect", 1, connect)), 3)
            self._send(Message(COMMAND_AMF0, 0, 0, amf_encode("createStream", 2, None)), 3)
            self._send(Message(COMMAND_AMF0, STREAM_ID, 0, amf_encode("publish", 3, None, self.key, "live")), 8)
        for message in self._reader.feed(data):
            if message.type == COMMAND_AMF0 and not self.ready.done():
                values = amf_decode(message.payload)
                if values and values[0] == "onStatus":
                    code = values[3].get("code") if len(values) > 3 and isinstance(values[3], dict) else ""
                    if code == "NetStream.Publish.Start":
                        self.ready.set_result(None)
                    else:
                        self.ready.set_exception(RuntimeError(f"publish refused: {code}"))

    def _send(self, message: Message, csid: int) -> None:
        assert self.transport is not None
        self.transport.write(chunk_message(message, csid, CHUNK if message.type != SET_CHUNK_SIZE else 128))

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("the server closed the connection"))


async def publish_all(clip: bytes, port: int, seconds: float, keys: list[str]) -> tuple[float, float, int]:
    """Publish ``keys`` for ``seconds``: the largest queue in seconds of media, the latest a batch was sent
    (seconds, this process's own lateness), and connections lost."""
    loop = asyncio.get_running_loop()
    replay = prepare(clip)
    publishers = []
    for key in keys:
        ready: asyncio.Future[None] = loop.create_future()
        _transport, publisher = await loop.create_connection(
            functools.partial(Publisher, key, ready), "127.0.0.1", port
        )
        publishers.append(publisher)
    await asyncio.wait_for(asyncio.gather(*(p.ready for p in publishers)), CONNECT_TIMEOUT)
    print("ready", flush=True)
    started = time.monotonic()
    # Stagger the starts over STAGGER_MS so the streams' keyframes (and segment cuts) do not all land together.
    offsets = [STAGGER_MS * n // len(keys) for n in range(len(keys))]
    positions = [(0, replay.first)] * len(keys)  # (batch index, batches in use)
    loops = [0] * len(keys)
    backlog, lag, lost = 0.0, 0.0, 0
    while (now := time.monotonic()) - started < seconds:
        elapsed = (now - started) * 1000
        for n, publisher in enumerate(publishers):
            transport = publisher.transport
            if transport is None or transport.is_closing():
                continue
            index, batches = positions[n]
            local = elapsed - offsets[n] - loops[n] * replay.length_ms
            while local >= batches[index][0]:
                lag = max(lag, local - batches[index][0])
                transport.write(batches[index][1])
                index += 1
                if index == len(batches):
                    index, batches, loops[n] = 0, replay.again, loops[n] + 1
                    local -= replay.length_ms
            positions[n] = (index, batches)
            backlog = max(backlog, transport.get_write_buffer_size() / replay.bytes_per_ms / 1000)
        await asyncio.sleep(BATCH_MS / 1000)
    lost = sum(1 for p in publishers if p.lost)
    for publisher in publishers:
        if publisher.transport is not None:
            publisher.transport.close()
    return backlog, lag / 1000, lost


def main() -> None:
    clip, port, seconds, keys = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4:]
    cpus = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpus[-1]})
    with open(clip, "rb") as handle:
        data = handle.read()
    backlog, lag, lost = asyncio.run(publish_all(data, port, seconds, keys))
    print(f"backlog {backlog:.3f} lost {lost} lag {lag:.3f} cpu {time.process_time():.2f}", flush=True)


if __name__ == "__main__":
    main()

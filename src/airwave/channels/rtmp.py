"""The RTMP push ingest: one port for every channel, a secret stream key per channel.

An encoder connects to ``rtmp://host:1935/live`` and publishes with the channel's stream key as the stream
name (OBS: "Server" and "Stream Key"). A wrong key is refused (``NetStream.Publish.BadName``) and logged
with the peer's address. The accepted stream goes to the channel's primary run: on a passthrough channel the
in-process remux engine takes its audio and video messages right here on the event loop (``channels.remux``);
otherwise they become FLV tags on the run's ffmpeg stdin. The server does no transcoding and keeps no media.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import struct
import threading
from collections.abc import Callable
from typing import IO, Protocol

from airwave.channels.rtmp_proto import (
    ACK,
    AUDIO,
    COMMAND_AMF0,
    COMMAND_AMF3,
    DATA_AMF0,
    FLV_HEADER,
    HANDSHAKE_SIZE,
    SET_CHUNK_SIZE,
    SET_PEER_BANDWIDTH,
    VIDEO,
    WINDOW_ACK_SIZE,
    ChunkReader,
    Message,
    ProtocolError,
    amf_decode,
    amf_encode,
    chunk_message,
    flv_tag,
    metadata_payload,
)  # fmt: skip

log = logging.getLogger(__name__)

OUT_CHUNK_SIZE = 4096
WINDOW = 2_500_000
QUEUE_CHUNKS = 4000  # FLV tags buffered for ffmpeg (a few seconds); a publisher that overruns it is dropped

Authorize = Callable[["RtmpPublisher"], bool]  # attach the publisher to its channel, or refuse it


class TagSink(Protocol):
    """Takes a publisher's media messages in-process, on the RTMP event loop (``channels.remux.RemuxRun``)."""

    def tag(self, kind: int, timestamp: int, payload: bytes) -> None: ...

    def end(self) -> None: ...


Tag = tuple[int, int, bytes]  # message type, timestamp (ms), payload


class RtmpPublisher:
    """One accepted (or about to be judged) publisher. Its messages wait in a queue until the channel takes
    them: as FLV written to an ffmpeg's stdin by a thread (:meth:`feed`), or handed to an in-process sink on
    the event loop (:meth:`remux`); either way nothing received before is lost (the codec headers come first).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, transport: asyncio.Transport, peer: str) -> None:
        self.app = ""
        self.key = ""
        self.peer = peer
        self.slug = ""
        self._loop, self._transport = loop, transport
        self._queue: queue.Queue[Tag | None] = queue.Queue(QUEUE_CHUNKS)
        self._closed = threading.Event()
        self._sink: TagSink | None = None
        self._ended = False

    @property
    def done(self) -> bool:
        return self._closed.is_set()

    def push(self, kind: int, timestamp: int, payload: bytes) -> None:
        """A media or metadata message (on the event loop)."""
        if self._sink is not None:
            if kind != DATA_AMF0:
                self._sink.tag(kind, timestamp, payload)
            return
        try:
            self._queue.put_nowait((kind, timestamp, payload))
        except queue.Full:
            log.warning("RTMP publisher %s for %s is faster than its channel; dropping it", self.peer, self.slug)
            self.close()

    def feed(self, sink: IO[bytes]) -> None:
        """Write the stream as FLV into ``sink`` (an ffmpeg's stdin) from a thread of its own."""
        name = f"channel-{self.slug}-push"
        threading.Thread(target=self._feed, args=(sink,), name=name, daemon=True).start()

    def remux(self, sink: TagSink) -> None:
        """Hand the stream to ``sink`` on the event loop: what is queued first, then each message as it comes."""
        with contextlib.suppress(RuntimeError):  # the loop is closed: the server stopped, the run gets nothing
            self._loop.call_soon_threadsafe(self._take, sink)

    def _take(self, sink: TagSink) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None and item[0] != DATA_AMF0:
                sink.tag(*item)
        self._sink = sink
        if self._closed.is_set():
            self._end()

    def finish(self) -> None:
        """The publisher ended its stream (on the event loop): the channel gets the rest, then the end."""
        self._closed.set()
        self._end()

    def close(self) -> None:
        """Drop the publisher (from any thread): the connection closes and the channel gets the end."""
        first = not self._closed.is_set()
        self._closed.set()
        with contextlib.suppress(RuntimeError):  # the event loop is already closed: nothing left to tell
            if first:
                self._loop.call_soon_threadsafe(self._transport.close)
            self._loop.call_soon_threadsafe(self._end)
        if self._sink is None:
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(None)  # the feeding thread stops even if the loop never runs again

    def _end(self) -> None:
        """On the event loop: an in-process sink learns the stream is over (once); a feeding thread gets EOF."""
        if self._sink is not None:
            if not self._ended:
                self._ended = True
                self._sink.end()
            return
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)

    def _feed(self, sink: IO[bytes]) -> None:
        try:
            sink.write(FLV_HEADER)
            while True:
                item = self._queue.get()
                if item is None:
                    break
                kind, timestamp, payload = item
                if kind == DATA_AMF0:
                    payload = metadata_payload(payload)
                sink.write(flv_tag(kind, timestamp, payload))
                if self._queue.empty():
                    sink.flush()
        except (OSError, ValueError):
            self.close()  # ffmpeg went away
        finally:
            with contextlib.suppress(OSError, ValueError):
                sink.close()


class RtmpConnection(asyncio.Protocol):
    """One TCP connection: handshake, then commands until it publishes, then media."""

    def __init__(self, authorize: Authorize, connections: set[RtmpConnection]) -> None:
        self._authorize = authorize
        self._connections = connections
        self._buffer = bytearray()
        self._stage = "c0c1"
        self._reader = ChunkReader()
        self._received = 0
        self._acked = 0
        self.publisher: RtmpPublisher | None = None
        self.peer = "?"
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._connections.add(self)
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"
        self.publisher = RtmpPublisher(asyncio.get_running_loop(), transport, self.peer)

    def connection_lost(self, exc: Exception | None) -> None:
        self._connections.discard(self)
        if self.publisher is not None:
            self.publisher.close()

    def data_received(self, data: bytes) -> None:
        try:
            self._data(data)
        except (ProtocolError, struct.error, IndexError, UnicodeError) as exc:
            log.warning("RTMP connection from %s: %s; closing it", self.peer, exc)
            self._close()

    def _data(self, data: bytes) -> None:
        if self._stage != "chunks":
            self._buffer += data
            self._handshake()
            if self._stage != "chunks":
                return
            data, self._buffer = bytes(self._buffer), bytearray()
        self._received += len(data)
        if self._received - self._acked >= WINDOW:  # RTMP 5.4.3: acknowledge each window of bytes
            self._acked = self._received
            self._send(Message(ACK, 0, 0, struct.pack(">I", self._received & 0xFFFFFFFF)), csid=2)
        for message in self._reader.feed(data):
            self._message(message)

    def _handshake(self) -> None:
        assert self._transport is not None
        if self._stage == "c0c1" and len(self._buffer) >= 1 + HANDSHAKE_SIZE:
            if self._buffer[0] != 3:
                raise ProtocolError(f"RTMP version {self._buffer[0]} (expected 3)")
            c1 = bytes(self._buffer[1 : 1 + HANDSHAKE_SIZE])
            # S1: time, zero version (a "simple" handshake: clients then skip digest checks), random bytes.
            s1 = b"\x00" * 8 + os.urandom(HANDSHAKE_SIZE - 8)
            self._transport.write(b"\x03" + s1 + c1)
            del self._buffer[: 1 + HANDSHAKE_SIZE]
            self._stage = "c2"
        if self._stage == "c2" and len(self._buffer) >= HANDSHAKE_SIZE:
            del self._buffer[:HANDSHAKE_SIZE]
            self._stage = "chunks"

    def _message(self, message: Message) -> None:
        publisher = self.publisher
        if message.type in (AUDIO, VIDEO, DATA_AMF0) and publisher is not None and publisher.slug:
            publisher.push(message.type, message.timestamp, message.payload)
        elif message.type in (COMMAND_AMF0, COMMAND_AMF3):
            payload = message.payload[1:] if message.type == COMMAND_AMF3 else message.payload
            self._command(message.stream_id, amf_decode(payload))

    def _command(self, stream_id: int, values: list[object]) -> None:
        name, transaction = [*values, None, 0][:2]
        args = values[3:]
        if name == "connect":
            params = values[2] if len(values) > 2 and isinstance(values[2], dict) else {}
            self._connect(
                float(transaction) if isinstance(transaction, int | float) else 0.0, str(params.get("app", ""))
            )
        elif name == "createStream":
            self._send_command(0, "_result", transaction, None, 1)
        elif name in ("releaseStream", "FCPublish"):
            self._send_command(0, "_result", transaction, None, None)
        elif name == "publish":
            self._publish(stream_id or 1, str(args[0]) if args else "")
        elif name in ("deleteStream", "FCUnpublish", "closeStream") and self.publisher is not None:
            self.publisher.finish()  # the stream ends; the client closes the connection

    def _connect(self, transaction: float, app: str) -> None:
        assert self.publisher is not None
        self.publisher.app = app
        self._send(Message(WINDOW_ACK_SIZE, 0, 0, struct.pack(">I", WINDOW)), csid=2)
        self._send(Message(SET_PEER_BANDWIDTH, 0, 0, struct.pack(">IB", WINDOW, 2)), csid=2)
        self._send(Message(SET_CHUNK_SIZE, 0, 0, struct.pack(">I", OUT_CHUNK_SIZE)), csid=2)
        self._chunk_size = OUT_CHUNK_SIZE
        info = {"level": "status", "code": "NetConnection.Connect.Success", "description": "Connected.",
                "objectEncoding": 0}  # fmt: skip
        self._send_command(0, "_result", transaction, {"fmsVer": "FMS/3,0,1,123", "capabilities": 31}, info)

    def _publish(self, stream_id: int, name: str) -> None:
        assert self.publisher is not None
        self.publisher.key = name.split("?", 1)[0]
        if not self._authorize(self.publisher):
            log.warning("RTMP publish refused from %s: wrong stream key (app %r)", self.peer, self.publisher.app)
            status = {"level": "error", "code": "NetStream.Publish.BadName", "description": "Wrong stream key."}
            self._send_command(stream_id, "onStatus", 0, None, status)
            self._close()
            return
        log.info("RTMP publish from %s accepted for channel %s", self.peer, self.publisher.slug)
        status = {"level": "status", "code": "NetStream.Publish.Start", "description": "Publishing."}
        self._send_command(stream_id, "onStatus", 0, None, status)

    _chunk_size = 128

    def _send_command(self, stream_id: int, *values: object) -> None:
        self._send(Message(COMMAND_AMF0, stream_id, 0, amf_encode(*values)), csid=3 if stream_id == 0 else 5)

    def _send(self, message: Message, csid: int) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(chunk_message(message, csid, self._chunk_size))

    def close(self) -> None:
        self._close()

    def _close(self) -> None:
        if self.publisher is not None:
            self.publisher.close()
        if self._transport is not None:
            self._transport.close()


class RtmpServer:
    """The ingest server on its own event loop thread (``channel-rtmp``). ``start()``/``close()``."""

    def __init__(self, host: str, port: int, authorize: Authorize) -> None:
        self.host, self.port = host, port
        self._authorize = authorize
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._connections: set[RtmpConnection] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, name="channel-rtmp", daemon=True)

    def start(self) -> None:
        """Listen (raises OSError if the port is taken)."""
        coroutine = self._loop.create_server(
            lambda: RtmpConnection(self._authorize, self._connections), self.host, self.port
        )
        self._server = self._loop.run_until_complete(coroutine)
        self.port = self._server.sockets[0].getsockname()[1]
        self._thread.start()
        log.info("RTMP ingest listening on %s:%s", self.host, self.port)

    def close(self) -> None:
        if self._server is None:
            return
        server, self._server = self._server, None

        async def shutdown() -> None:
            server.close()
            for connection in list(self._connections):
                connection.close()
            await server.wait_closed()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

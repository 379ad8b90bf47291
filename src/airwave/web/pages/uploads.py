"""Receiving a multipart upload straight into the uploads folder, with a size limit.

Starlette's form parser spools files through the system temp folder and checks no total size; a video
upload can be tens of gigabytes, so this parser streams each file part into ``<data>/uploads`` as it
arrives, refuses the request the moment it passes the limit, and removes partial files on any failure.
Plain fields come first in our forms, so ``before_file`` (the CSRF check) runs before any file byte is kept.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from airwave.errors import BadRequest, PayloadTooLarge

MAX_FIELD_BYTES = 64 * 1024
MAX_PARTS = 32


@dataclass
class ReceivedFile:
    """A file part saved under the uploads folder."""

    field: str
    filename: str  # as the browser sent it
    path: Path
    size: int = 0


@dataclass
class Upload:
    """The fields and files of one multipart request."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, ReceivedFile] = field(default_factory=dict)

    def discard(self, *names: str) -> None:
        """Delete the saved files (all, or those of the given fields)."""
        for name in names or list(self.files):
            received = self.files.pop(name, None)
            if received is not None:
                received.path.unlink(missing_ok=True)


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str = ""
    data: bytearray = field(default_factory=bytearray)
    file: ReceivedFile | None = None
    handle: BinaryIO | None = None


class _Receiver:
    def __init__(self, folder: Path, max_bytes: int, before_file: Callable[[dict[str, str]], None]) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.before_file = before_file
        self.upload = Upload()
        self.part = _Part()
        self.header = [b"", b""]
        self.pending: list[tuple[_Part, bytes | None]] = []  # file writes (None: close) done off the loop
        self.total = 0
        self.parts = 0

    def on_part_begin(self) -> None:
        self.part = _Part()
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise BadRequest(f"too many form fields (at most {MAX_PARTS})")

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header[0] += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header[1] += data[start:end]

    def on_header_end(self) -> None:
        self.part.headers[self.header[0].lower()] = self.header[1]
        self.header = [b"", b""]

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.part.headers.get(b"content-disposition", b""))
        if b"name" not in options:
            raise BadRequest("a form part has no name")
        self.part.name = options[b"name"].decode("utf-8", "replace")
        filename = options.get(b"filename")
        if filename is None:
            return
        self.before_file(self.upload.fields)
        # HTML's multipart encoding writes a quote in a file name as %22 (and CR, LF as %0D, %0A).
        original = filename.decode("utf-8", "replace").replace("%22", '"').replace("%0D", "").replace("%0A", "")
        path = self.folder / f"{secrets.token_hex(6)}-{safe_filename(original)}"
        self.part.file = ReceivedFile(self.part.name, original, path)
        self.upload.files[self.part.name] = self.part.file
        self.part.handle = open(path, "xb")  # noqa: SIM115 - closed by the pending writes or on failure

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self.part.file is None:
            if len(self.part.data) + len(chunk) > MAX_FIELD_BYTES:
                raise BadRequest(f"the field {self.part.name!r} is too long")
            self.part.data.extend(chunk)
            return
        self.total += len(chunk)
        if self.total > self.max_bytes:
            raise PayloadTooLarge(f"the upload is larger than the limit of {self.max_bytes // 1_000_000} MB")
        self.part.file.size += len(chunk)
        self.pending.append((self.part, chunk))

    def on_part_end(self) -> None:
        if self.part.file is None:
            self.upload.fields[self.part.name] = self.part.data.decode("utf-8", "replace")
        else:
            self.pending.append((self.part, None))

    def flush(self) -> None:
        for part, chunk in self.pending:
            assert part.handle is not None
            if chunk is None:
                part.handle.close()
            else:
                part.handle.write(chunk)
        self.pending.clear()

    def close_all(self) -> None:
        for part, _chunk in self.pending:
            if part.handle is not None:
                part.handle.close()
        if self.part.handle is not None:
            self.part.handle.close()


async def receive_upload(
    request: Request, folder: Path, *, max_bytes: int, before_file: Callable[[dict[str, str]], None]
) -> Upload:
    """Stream a ``multipart/form-data`` request body into ``folder``.

    Raises:
        PayloadTooLarge: the files together exceed ``max_bytes`` (nothing is kept).
        BadRequest: the body is not a well-formed multipart form (nothing is kept).
        Whatever ``before_file`` raises (nothing is kept).
    """
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in options:
        raise BadRequest("send the form as multipart/form-data")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + 1_000_000:
        raise PayloadTooLarge(f"the upload is larger than the limit of {max_bytes // 1_000_000} MB")
    receiver = _Receiver(folder, max_bytes, before_file)
    parser = MultipartParser(options[b"boundary"], {
        "on_part_begin": receiver.on_part_begin,
        "on_header_field": receiver.on_header_field,
        "on_header_value": receiver.on_header_value,
        "on_header_end": receiver.on_header_end,
        "on_headers_finished": receiver.on_headers_finished,
        "on_part_data": receiver.on_part_data,
        "on_part_end": receiver.on_part_end,
    })  # fmt: skip
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            if receiver.pending:
                await run_in_threadpool(receiver.flush)
        parser.finalize()
        await run_in_threadpool(receiver.flush)
    except FormParserError:
        _abandon(receiver)
        raise BadRequest("the upload was not a well-formed multipart form") from None
    except BaseException:  # also a client disconnect or cancellation: keep no partial file
        _abandon(receiver)
        raise
    return receiver.upload


def _abandon(receiver: _Receiver) -> None:
    receiver.close_all()
    receiver.upload.discard()


def safe_filename(name: str) -> str:
    """A file name that is safe on any filesystem, keeping the readable part of the browser's name."""
    base = Path(name.replace("\\", "/")).name
    cleaned = re.sub(r"[^A-Za-z0-9._ -]+", "_", base).strip(" ._") or "upload"
    return cleaned[-120:]

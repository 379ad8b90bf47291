"""Errors Airwave raises, one tree under :class:`AirwaveError`.

Client-facing errors carry the HTTP status the web layer answers with, so the mapping lives
in one place (``web/errors.py``) and every message says what was wrong and what to do::

    AirwaveError
    ├── ConfigError                  settings that cannot work (bad value, unwritable data dir)
    ├── MediaError                   ffmpeg or probing failed
    │   ├── ToolMissing              ffmpeg is not installed or not runnable
    │   └── InvalidMedia             a file that is not usable media (names the file and the problem)
    ├── MailError                    the mail server refused or could not be reached
    ├── IngestError                  an ingest job could not finish
    │   └── IngestCancelled          the job was interrupted (Ctrl-C, shutdown)
    └── ClientError (4xx)
        ├── BadRequest          400
        ├── Unauthorized        401
        ├── Forbidden           403
        │   └── CsrfFailed      403
        ├── NotFound            404
        ├── Conflict            409
        ├── PayloadTooLarge     413
        └── TooManyRequests     429
"""

from __future__ import annotations

from typing import Any


class AirwaveError(Exception):
    """Root of every error Airwave raises on purpose."""


class ConfigError(AirwaveError):
    """The settings cannot work as given."""


class MediaError(AirwaveError):
    """ffmpeg or the prober failed."""


class ToolMissing(MediaError):
    """A required external tool (ffmpeg) cannot be found or run."""


class InvalidMedia(MediaError):
    """A file is not media Airwave can use; the message names the file and the problem."""


class MailError(AirwaveError):
    """A mail (a password reset link) could not be handed to the mail server."""


class IngestError(AirwaveError):
    """An ingest job could not finish; nothing was published."""


class IngestCancelled(IngestError):
    """An ingest job was interrupted before it finished; nothing was published."""


class ClientError(AirwaveError):
    """An error caused by the request; ``status`` is the HTTP status to answer with."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(ClientError):
    status = 400
    code = "bad_request"


class Unauthorized(ClientError):
    status = 401
    code = "unauthorized"


class Forbidden(ClientError):
    status = 403
    code = "forbidden"


class CsrfFailed(Forbidden):
    code = "csrf_failed"


class NotFound(ClientError):
    status = 404
    code = "not_found"


class Conflict(ClientError):
    status = 409
    code = "conflict"


class PayloadTooLarge(ClientError):
    status = 413
    code = "payload_too_large"


class TooManyRequests(ClientError):
    status = 429
    code = "too_many_requests"

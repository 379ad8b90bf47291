"""Spotting abuse of playback URLs: the real client address, replays from another client, and the event log.

A token is a bearer credential: whoever holds the URL can fetch segments until it expires. What stops a
shared URL is what sits behind it at the origin: playlists and keys are checked against the session
(ended? lease held? still entitled?) and against the client that started it. A request from another
address is logged as a replay and recorded for the admin page; with ``bind_session_ip`` it is refused, so a
copied URL gets no playlist and no key, and encrypted segments alone are useless.
"""

from __future__ import annotations

import logging
import threading
import time

from airwave.clock import Clock
from airwave.store.delivery import DeliveryEvent
from airwave.store.engine import Database

log = logging.getLogger(__name__)

# One record per (session, address) is enough; a player polling its playlist must not flood the table.
_REPORTED: dict[tuple[str, str], float] = {}
_REPORTED_LOCK = threading.Lock()
REPORT_EVERY = 300.0


def same_client(started_from: str, address: str) -> bool:
    """Whether ``address`` is the client that started the session (unknown start address: yes)."""
    return not started_from or started_from == address


def record(db: Database, clock: Clock, kind: str, *, session_id: str = "", user_id: int | None = None,
           client_ip: str = "", detail: str = "") -> None:  # fmt: skip
    """Log and store a delivery event (``replay``, ``stream_limit``, ``start_rate``)."""
    log.warning("%s: session %s user %s from %s %s", kind, session_id or "-", user_id, client_ip or "-", detail)
    with db.session() as session:
        session.add(DeliveryEvent(at=clock.now(), kind=kind, session_id=session_id, user_id=user_id,
                                  client_ip=client_ip[:64], detail=detail))  # fmt: skip


def should_report(session_id: str, address: str) -> bool:
    """True the first time (per process, per few minutes) a session is seen from ``address``."""
    now = time.monotonic()
    with _REPORTED_LOCK:
        if len(_REPORTED) > 50_000:
            _REPORTED.clear()
        last = _REPORTED.get((session_id, address))
        if last is not None and now - last < REPORT_EVERY:
            return False
        _REPORTED[(session_id, address)] = now
        return True

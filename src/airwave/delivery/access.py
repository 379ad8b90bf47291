"""The checks behind personal objects (playlists, keys): session, client, lease and entitlement. Blocking I/O."""

from __future__ import annotations

from sqlalchemy.orm import Session

from airwave.accounts import entitlements
from airwave.delivery import abuse
from airwave.delivery.leases import Leases
from airwave.delivery.lookup import SessionInfo
from airwave.runtime import Runtime
from airwave.store.tables import PlaybackSession, User

STREAM_TAKEN = "this stream was stopped: your account's other devices are using every stream; start playback again"


def check_client(runtime: Runtime, info: SessionInfo, address: str) -> str | None:
    """Log (and with ``bind_session_ip`` refuse) a request from another client; the refusal reason or None."""
    if abuse.same_client(info.client_ip, address):
        return None
    if abuse.should_report(info.id, address):
        detail = f"session started from {info.client_ip}"
        abuse.record(runtime.db, runtime.clock, "replay", session_id=info.id, user_id=info.user_id,
                     client_ip=address, detail=detail)  # fmt: skip
    return "session bound to another address" if runtime.settings.bind_session_ip else None


def check_lease(leases: Leases, info: SessionInfo) -> str | None:
    """Renew the session's stream lease; the refusal reason when it lost its slot."""
    return None if leases.renew(info.id) else STREAM_TAKEN


def check_key(runtime: Runtime, leases: Leases, session_id: str, content: entitlements.Content) -> str | None:
    """May the session have a content key now? Read fresh: live session, its lease, the account's entitlement."""
    with runtime.db.session() as session:
        reason = _session_entitled(session, runtime, session_id, content)
    if reason is None and not leases.renew(session_id):
        return STREAM_TAKEN
    return reason


def _session_entitled(session: Session, runtime: Runtime, session_id: str, content: entitlements.Content) -> str | None:
    row = session.get(PlaybackSession, session_id)
    if row is None or row.ended_at is not None or row.expires_at <= runtime.clock.now():
        return "session ended"
    user = session.get(User, row.user_id)
    if user is None:
        return "account deleted"
    decision = entitlements.check_playback(session, user, content, runtime.clock)
    return None if decision.allowed else decision.reason or "not entitled"

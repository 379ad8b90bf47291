"""The audit log: what admins, support agents and operators at the command line did, to whom, when, from where.

Call :func:`record` in the same unit of work as the change it describes, so the change and its entry are
committed (or rolled back) together. Actions are dotted names, the area first: ``user.suspend``,
``user.reset_link``, ``user.note``, ``title.rights``, ``plan.edit`` (BILLING records its own the same way).
"""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from airwave.clock import Clock
from airwave.store.accounts import AuditEvent
from airwave.store.tables import User

MAX_DETAIL = 2000


@dataclass(frozen=True)
class Actor:
    """Who acts, and from which address: a signed-in account, or (``user`` None) an operator named ``name``."""

    user: User | None
    client_ip: str = ""
    name: str = ""

    @classmethod
    def command_line(cls) -> Actor:
        """The operator running an ``airwave`` command on this host: ``cli:<login>@<host>``."""
        try:
            login = getpass.getuser()
        except (KeyError, OSError):  # no login name and no passwd entry (some containers)
            login = f"uid {os.getuid()}"
        return cls(None, name=f"cli:{login}@{socket.gethostname()}")


def record(session: Session, clock: Clock, actor: Actor, action: str, target: str = "", detail: str = "") -> AuditEvent:
    """Append an entry: ``actor`` did ``action`` to ``target`` (e.g. ``"user:42"``), with a readable ``detail``."""
    event = AuditEvent(
        at=clock.now(),
        actor_id=actor.user.id if actor.user else None,
        actor_email=actor.user.email if actor.user else actor.name,
        action=action[:60],
        target=target[:120],
        detail=detail[:MAX_DETAIL],
        client_ip=actor.client_ip[:64],
    )
    session.add(event)
    session.flush()
    return event


def user_target(user_id: int) -> str:
    """The ``target`` of an entry about an account."""
    return f"user:{user_id}"


def events(
    session: Session, *, target: str | None = None, query: str = "", limit: int = 100, offset: int = 0
) -> list[AuditEvent]:
    """Entries, newest first: about one ``target``, or whose actor, action, target or detail contains ``query``."""
    statement = select(AuditEvent)
    if target is not None:
        statement = statement.where(AuditEvent.target == target)
    if query.strip():
        pattern = f"%{query.strip().lower()}%"
        columns = (AuditEvent.actor_email, AuditEvent.action, AuditEvent.target, AuditEvent.detail)
        statement = statement.where(or_(*(column.ilike(pattern) for column in columns)))
    statement = statement.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    return list(session.scalars(statement.limit(max(1, min(limit, 500))).offset(max(0, offset))))

"""Which client may use a session's URLs: the plan's ``client_binding``, with the operator-wide override.

A playback URL is a bearer credential; binding ties it to the client that started the session:

* ``none``: a request from another address is logged as a replay (``abuse``) and served.
* ``ip``: only the starting address; edges enforce it too (the token carries the address's keyed hash).
* ``asn``: any address of the starting address's autonomous system (from ``Settings.geoip_asn_mmdb``), so a
  phone moving between addresses of its mobile network keeps playing while a copy played from another
  network gets 403. Edges cannot check it (no ASN database there): the origin does, on every playlist and
  key, which always go to the origin.

The binding is fixed when the session starts, from the subscriber's plan; ``Settings.bind_session_ip`` makes
every session at least IP-bound (the stricter one wins, also for sessions already running). An ASN-bound
session whose starting address has no known network (no database, or an address it does not list) is held
to its address instead: without a network to compare, the address is all there is.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from airwave.accounts.geo import asn_for
from airwave.billing.plans import client_binding_of
from airwave.config import Settings
from airwave.delivery.tokens import ClientBinding
from airwave.store.tables import User

# Strictness order: a stricter binding overrides a looser one.
_STRICTNESS = {"none": 0, "asn": 1, "ip": 2}


def stricter(first: str, second: str) -> str:
    """The stricter of two bindings (unknown names count as ``none``)."""
    return first if _STRICTNESS.get(first, 0) >= _STRICTNESS.get(second, 0) else second


def effective(settings: Settings, recorded: str) -> str:
    """The binding a session is held to now: its recorded one, or ``ip`` under ``bind_session_ip``."""
    return stricter(recorded, "ip") if settings.bind_session_ip else recorded


def for_start(session: Session, settings: Settings, user: User, address: str) -> ClientBinding:
    """The binding a new session of ``user`` from ``address`` gets (recorded on the session, signed in its
    token)."""
    kind = effective(settings, client_binding_of(session, user.id))
    if kind != "asn":
        return ClientBinding(kind)
    asn = asn_for(settings, address)
    return ClientBinding("asn", asn) if asn is not None else ClientBinding("ip")


def allows(kind: str, started_asn: int | None, address_asn: int | None) -> bool:
    """Whether a session bound by ``kind`` may be used from an address other than its own; pure.

    ``none`` allows it (the request is still logged); ``asn`` allows it within the starting network only.
    """
    if kind == "none":
        return True
    return kind == "asn" and started_asn is not None and address_asn == started_asn

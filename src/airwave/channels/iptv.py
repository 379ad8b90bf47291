"""A subscriber's personal IPTV links (M3U playlist and XMLTV guide) and the M3U itself.

The link token is 32 random URL-safe characters, kept in the database so the account page can show the
links again. Regenerating revokes the old token; every link that carried it stops working at once.

Catch-up in the M3U uses ``catchup="default"`` (Kodi's IPTV Simple Client, TiviMate, OTT Navigator): the
``catchup-source`` is a complete URL template whose ``{utc}``/``{utcend}`` the app fills with the
programme's Unix times. We chose it over "append" and "shift" (which glue a query onto the live URL, so the
catch-up request looks like a live one) and "flussonic" (which assumes Flussonic's archive URL layout):
the app calls our own ``/iptv/{token}/catchup/{slug}``, which checks the DVR window and redirects to a
signed archive URL. The live route also accepts ``?utc=&utcend=`` for apps that force "append"/"shift".
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from airwave.clock import Clock, SystemClock
from airwave.store.channels import Channel
from airwave.store.epg import IptvToken
from airwave.store.tables import User


def current_token(session: Session, user: User, clock: Clock | None = None) -> str:
    """The user's IPTV token, created on first use."""
    query = select(IptvToken).where(IptvToken.user_id == user.id, IptvToken.revoked_at.is_(None))
    row = session.scalars(query.order_by(IptvToken.id.desc())).first()
    if row is None:
        row = IptvToken(user_id=user.id, token=secrets.token_urlsafe(24), created_at=(clock or SystemClock()).now())
        session.add(row)
        session.flush()
    return row.token


def regenerate(session: Session, user: User, clock: Clock | None = None) -> str:
    """Revoke the user's IPTV links and issue new ones; return the new token."""
    now = (clock or SystemClock()).now()
    query = select(IptvToken).where(IptvToken.user_id == user.id, IptvToken.revoked_at.is_(None))
    for row in session.scalars(query):
        row.revoked_at = now
    session.flush()
    return current_token(session, user, clock)


def user_for_token(session: Session, token: str) -> User | None:
    """The enabled user a live token belongs to, or None (unknown, revoked, or a disabled account)."""
    if not token or len(token) > 64:
        return None
    row = session.scalar(select(IptvToken).where(IptvToken.token == token))
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and not user.disabled else None


def iptv_links(session: Session, user: User, base_url: str, clock: Clock | None = None) -> dict[str, str]:
    """Absolute URLs of the user's M3U playlist and XMLTV guide: ``{playlist_url, epg_url}``."""
    token = current_token(session, user, clock)
    base = f"{base_url.rstrip('/')}/iptv/{token}"
    return {"playlist_url": f"{base}/playlist.m3u", "epg_url": f"{base}/epg.xml"}


def catchup_days(channel: Channel) -> int:
    """Whole days of catch-up an IPTV app may offer (apps count in days; a partial day rounds up)."""
    return math.ceil(channel.dvr_hours / 24) if channel.dvr_hours > 0 else 0


def render_m3u(channels: Sequence[Channel], base_url: str, token: str, notices: Mapping[str, str] | None = None) -> str:
    """The M3U playlist of ``channels`` (in guide order) for one subscriber. Pure.

    ``notices`` by slug are added to a channel's display name, e.g. a blackout where the subscriber is
    ("Sport One (Blacked out in your area until 21:00 UTC)"): IPTV apps show the name, so the viewer knows
    why the slate plays.
    """
    root = f"{base_url.rstrip('/')}/iptv/{token}"
    lines = [f'#EXTM3U x-tvg-url="{root}/epg.xml" url-tvg="{root}/epg.xml"']
    for channel in channels:
        attributes = {
            "tvg-id": channel.slug,
            "tvg-name": channel.name,
            "tvg-logo": f"{base_url.rstrip('/')}/logo/{channel.slug}" if channel.logo else "",
            "tvg-chno": str(channel.number) if channel.number is not None else "",
            "group-title": channel.group_title,
        }
        days = catchup_days(channel)
        if days:
            attributes |= {
                "catchup": "default",
                "catchup-days": str(days),
                "catchup-source": f"{root}/catchup/{channel.slug}?utc={{utc}}&utcend={{utcend}}",
            }
        text = " ".join(f'{key}="{_clean(value)}"' for key, value in attributes.items() if value)
        name = f"{channel.name} ({notices[channel.slug]})" if notices and channel.slug in notices else channel.name
        lines += [f"#EXTINF:-1 {text},{_clean(name)}", f"{root}/live/{channel.slug}.m3u8"]
    return "\n".join(lines) + "\n"


def parse_epoch(text: str) -> dt.datetime:
    """A ``{utc}`` placeholder value (Unix seconds) as a datetime.

    Raises:
        ValueError: not a number of seconds.
    """
    return dt.datetime.fromtimestamp(int(text), dt.UTC)


def _clean(text: str) -> str:
    # The M3U attribute syntax has no escapes: drop what would end the value or the line.
    return text.replace('"', "'").replace("\n", " ").replace("\r", " ")

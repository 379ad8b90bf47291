"""Rights: licence windows and territories of titles, territories of channels, blackouts of programmes.

A title may carry a licence window (``available_from``, ``available_until``) and an allow-list of
territories (ISO 3166-1 alpha-2 codes; empty = everywhere); a channel an allow-list of territories; a stretch
of a channel (usually one programme) may be blacked out in listed territories, where players get a slate.

The checks are pure (:func:`check_title`, :func:`check_channel`, :func:`blacked_out`); BILLING's
``entitlements.decide`` calls them, so every playback passes through them. A client whose territory is
unknown (no GeoIP data for its address) is refused restricted content: a licence that names countries
is kept by not guessing. Subscribers browse through an :class:`Audience`: titles they may not watch vanish
from the catalogue (:func:`available_clause`); staff browse with none and see :func:`title_status`.

For LIVE-CORE and GUIDE: ``blackout(session, channel, programme, territory, now) -> bool``; the live
playlists enforce blackouts with a slate (``channels.blackouts``), and the guide and the M3U say so
(:func:`blackouts_by_channel`, :func:`blackout_notice`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import ColumnElement, and_, literal, or_, select
from sqlalchemy.orm import Session

from airwave.errors import BadRequest, NotFound
from airwave.store.accounts import Blackout
from airwave.store.channels import Channel
from airwave.store.epg import Programme
from airwave.store.tables import Title

if TYPE_CHECKING:
    from airwave.accounts.entitlements import Decision

_CODE = re.compile(r"^[A-Z]{2}$")
NOT_HERE = "not available in your country"


@dataclass(frozen=True)
class Audience:
    """Who browses the catalogue: a subscriber at ``now`` in ``territory`` (None when it is unknown)."""

    now: dt.datetime
    territory: str | None


class Timed(Protocol):
    """A programme as far as blackouts care (store.epg.Programme fits)."""

    @property
    def start(self) -> dt.datetime: ...

    @property
    def stop(self) -> dt.datetime: ...


def normalise_territories(value: str | Iterable[str]) -> str:
    """ "gb, ie" or ["GB", "ie"] -> "GB IE" (sorted, unique); "" means everywhere.

    Raises:
        BadRequest: an entry is not a two-letter country code.
    """
    parts = value.replace(",", " ").split() if isinstance(value, str) else [str(part).strip() for part in value]
    codes = set()
    for part in parts:
        code = part.upper()
        if not _CODE.match(code):
            raise BadRequest(f"{part!r} is not a country code: use two letters such as GB, DE or US")
        codes.add(code)
    return " ".join(sorted(codes))


def territory_allowed(territories: str, territory: str | None) -> bool:
    """Whether a client in ``territory`` is inside an allow-list ("" allows everyone)."""
    if not territories:
        return True
    return territory is not None and territory.upper() in territories.split()


def day(moment: dt.datetime) -> str:
    """ "1 May 2027"."""
    return f"{moment.day} {moment:%b %Y}"


def check_title(title: Title, territory: str | None, now: dt.datetime, parent: Title | None = None) -> Decision:
    """May a title be watched at ``now`` from ``territory``? An episode also obeys its series (``parent``)."""
    from airwave.accounts.entitlements import Decision

    for item in (parent, title):
        if item is None:
            continue
        if item.available_from is not None and now < item.available_from:
            return Decision(False, f"{item.name} is available from {day(item.available_from)}")
        if item.available_until is not None and now >= item.available_until:
            return Decision(False, f"{item.name} is no longer available (since {day(item.available_until)})")
        if not territory_allowed(item.territories, territory):
            return Decision(False, f"{item.name} is {NOT_HERE}")
    return Decision(True)


def check_channel(channel: Channel, territory: str | None, now: dt.datetime) -> Decision:
    """May a channel be watched from ``territory``? (Blackouts are per programme: see :func:`blackout`.)"""
    from airwave.accounts.entitlements import Decision

    if not territory_allowed(channel.territories, territory):
        return Decision(False, f"{channel.name} is {NOT_HERE}")
    return Decision(True)


def title_status(title: Title, now: dt.datetime) -> str | None:
    """Why subscribers do not see a title ("licence starts 1 May 2027"), or None when it is in its window."""
    if title.available_from is not None and now < title.available_from:
        return f"licence starts {day(title.available_from)}"
    if title.available_until is not None and now >= title.available_until:
        return f"licence ended {day(title.available_until)}"
    return None


def available_clause(audience: Audience) -> ColumnElement[bool]:
    """SQL: the titles ``audience`` may see (in their window, and licensed where the audience is)."""
    window = and_(
        or_(Title.available_from.is_(None), Title.available_from <= audience.now),
        or_(Title.available_until.is_(None), Title.available_until > audience.now),
    )
    if audience.territory is None or not _CODE.match(audience.territory.upper()):
        return and_(window, Title.territories == "")
    padded = literal(" ") + Title.territories + literal(" ")
    return and_(window, or_(Title.territories == "", padded.like(f"% {audience.territory.upper()} %")))


def require_visible(title: Title, audience: Audience | None, parent: Title | None = None) -> Title:
    """Return the title if ``audience`` may see it (staff pass None); otherwise as if it did not exist.

    Raises:
        NotFound: the title is outside its window or territories for this audience.
    """
    if audience is not None and not check_title(title, audience.territory, audience.now, parent):
        raise NotFound(f"no title with id {title.id}")
    return title


def set_title_rights(
    title: Title, *, available_from: dt.datetime | None, available_until: dt.datetime | None, territories: Any
) -> None:
    """Set a title's licence window and territories.

    Raises:
        BadRequest: the window ends before it starts, or a territory is not a country code.
    """
    if available_from and available_until and available_until <= available_from:
        raise BadRequest("the licence must end after it starts")
    title.territories = normalise_territories(territories)
    title.available_from = available_from
    title.available_until = available_until


def add_blackout(
    session: Session,
    channel: Channel,
    *,
    start: dt.datetime,
    stop: dt.datetime,
    territories: str | Iterable[str],
    note: str = "",
    programme_id: int | None = None,
) -> Blackout:
    """Black out ``channel`` from ``start`` to ``stop`` in ``territories`` (e.g. one programme's slot).

    Raises:
        BadRequest: ``stop`` is not after ``start``, or no (valid) territory is given.
    """
    if stop <= start:
        raise BadRequest("a blackout must end after it starts")
    codes = normalise_territories(territories)
    if not codes:
        raise BadRequest("name the territories the blackout applies to, e.g. GB IE")
    rule = Blackout(
        channel_id=channel.id, programme_id=programme_id, start=start, stop=stop, territories=codes, note=note[:300]
    )
    session.add(rule)
    session.flush()
    return rule


def blackouts(session: Session, channel_id: int, start: dt.datetime, stop: dt.datetime) -> list[Blackout]:
    """The blackouts of a channel overlapping ``[start, stop)``, earliest first."""
    statement = select(Blackout).where(Blackout.channel_id == channel_id, Blackout.start < stop, Blackout.stop > start)
    return list(session.scalars(statement.order_by(Blackout.start, Blackout.id)))


def blacked_out(
    rules: Sequence[Blackout], territory: str | None, start: dt.datetime, stop: dt.datetime
) -> Blackout | None:
    """The rule blacking out ``[start, stop)`` for a client in ``territory``, or None. Pure.

    A client whose territory is unknown is blacked out wherever any territory is.
    """
    for rule in rules:
        overlaps = rule.start < stop and rule.stop > start
        if overlaps and (territory is None or territory.upper() in rule.territories.split()):
            return rule
    return None


def blackout(
    session: Session, channel: Channel, programme: Timed | None, territory: str | None, now: dt.datetime
) -> bool:
    """Whether a viewer in ``territory`` gets a slate instead of ``channel``: live at ``now``, or for the
    whole of ``programme`` when one is given (catch-up and start-over of a blacked-out programme).
    """
    start, stop = (programme.start, programme.stop) if programme is not None else (now, now + dt.timedelta(seconds=1))
    return blacked_out(blackouts(session, channel.id, start, stop), territory, start, stop) is not None


def set_channel_territories(channel: Channel, territories: str | Iterable[str]) -> str:
    """Limit a channel to ``territories`` ("" = everywhere); returns the stored list.

    Raises:
        BadRequest: an entry is not a two-letter country code.
    """
    channel.territories = normalise_territories(territories)
    return channel.territories


def blackout_programme(
    session: Session, channel: Channel, programme: Any, territories: str | Iterable[str], note: str = ""
) -> Blackout:
    """Black out one programme of ``channel``'s guide (``store.epg.Programme``) in ``territories``.

    Raises:
        NotFound: the programme is not in this channel's guide.
        BadRequest: no (valid) territory is given.
    """
    if programme is None or programme.channel_id != channel.id:
        raise NotFound(f"that programme is not in {channel.name}'s guide")
    return add_blackout(session, channel, start=programme.start, stop=programme.stop, territories=territories,
                        note=note or programme.title, programme_id=programme.id)  # fmt: skip


def blackout_programme_id(
    session: Session, channel: Channel, programme_id: int, territories: str | Iterable[str], note: str = ""
) -> Blackout:
    """Black out the programme with guide id ``programme_id`` (API and CLI callers name it by id).

    Raises:
        NotFound: no programme ``programme_id`` in this channel's guide.
        BadRequest: no (valid) territory is given.
    """
    programme = session.get(Programme, programme_id)
    if programme is None or programme.channel_id != channel.id:
        raise NotFound(
            f"programme {programme_id} is not in {channel.name}'s guide: pick one of its programmes "
            f"(GET /api/v1/epg, `airwave epg export`) or give the start and stop times instead"
        )
    return blackout_programme(session, channel, programme, territories, note)


def describe_blackout(rule: Blackout) -> str:
    """ "Cup Final 2027-01-15 09:00-11:00 UTC in GB IE": the audit log's detail of a blackout."""
    start, stop = _utc(rule.start), _utc(rule.stop)
    until = f"{stop:%H:%M}" if stop.date() == start.date() else f"{stop:%Y-%m-%d %H:%M}"
    return f"{rule.note} {start:%Y-%m-%d %H:%M}-{until} UTC in {rule.territories}".strip()


def remove_blackout(session: Session, channel: Channel, blackout_id: int) -> Blackout:
    """Lift a blackout of ``channel``; returns the removed rule.

    Raises:
        NotFound: no such blackout on this channel.
    """
    rule = session.get(Blackout, blackout_id)
    if rule is None or rule.channel_id != channel.id:
        raise NotFound(f"{channel.name} has no blackout {blackout_id}")
    session.delete(rule)
    session.flush()
    return rule


def blackout_notice(rules: Sequence[Blackout], territory: str | None, moment: dt.datetime) -> str | None:
    """What the guide and the M3U say of a channel blacked out at ``moment`` for ``territory``, else None."""
    rule = blacked_out(rules, territory, moment, moment + dt.timedelta(seconds=1))
    if rule is None:
        return None
    return f"Blacked out in your area until {_utc(rule.stop):%H:%M} UTC"


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def blackouts_by_channel(
    session: Session, channel_ids: Sequence[int], territory: str | None, start: dt.datetime, stop: dt.datetime
) -> dict[int, list[Blackout]]:
    """The blackouts of ``channel_ids`` overlapping ``[start, stop)`` that apply in ``territory``, by channel
    (one query: for the guide and the M3U, which show many channels at once)."""
    if not channel_ids:
        return {}
    statement = select(Blackout).where(
        Blackout.channel_id.in_(channel_ids), Blackout.start < stop, Blackout.stop > start
    )
    found: dict[int, list[Blackout]] = {}
    for rule in session.scalars(statement.order_by(Blackout.start)):
        if territory is None or territory.upper() in rule.territories.split():
            found.setdefault(rule.channel_id, []).append(rule)
    return found

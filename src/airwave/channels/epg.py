"""The programme guide: reading it, editing it, importing and exporting XMLTV.

Every function takes the caller's session (one unit of work) and commits nothing. The guide of a playout
channel is generated from its schedule (``channels.guide``); live channels get theirs from XMLTV or the API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from airwave.channels.xmltv import XChannel, XProgramme, parse_xmltv, render_xmltv
from airwave.errors import BadRequest, Conflict, NotFound
from airwave.store.channels import Channel
from airwave.store.epg import Programme

MAX_RANGE = dt.timedelta(days=15)
FIELDS = ("title", "subtitle", "description", "category", "episode_num", "icon")


@dataclass
class ImportReport:
    """What ``airwave epg import`` did."""

    added: int = 0
    updated: int = 0
    skipped: int = 0
    unknown_channels: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)  # slugs that received programmes


def now_next(session: Session, channel: Channel, now: dt.datetime) -> tuple[Programme | None, Programme | None]:
    """The programme on air on ``channel`` at ``now``, and the one after it."""
    query = (
        select(Programme)
        .where(Programme.channel_id == channel.id, Programme.stop > now)
        .order_by(Programme.start)
        .limit(2)
    )
    found = list(session.scalars(query))
    if found and found[0].start <= now:
        return found[0], found[1] if len(found) > 1 else None
    return None, found[0] if found else None


def programmes(
    session: Session, channel_ids: Sequence[int] | None, start: dt.datetime, end: dt.datetime
) -> list[Programme]:
    """Programmes overlapping ``[start, end)``, by channel then start (``None``: every channel).

    Raises:
        BadRequest: ``end`` is not after ``start``, or the range is longer than 15 days.
    """
    if end <= start:
        raise BadRequest("the end of the range must be after its start")
    if end - start > MAX_RANGE:
        raise BadRequest("ask for at most 15 days of guide at a time")
    query = select(Programme).where(Programme.start < end, Programme.stop > start)
    if channel_ids is not None:
        query = query.where(Programme.channel_id.in_(channel_ids))
    return list(session.scalars(query.order_by(Programme.channel_id, Programme.start)))


def get_programme(session: Session, programme_id: int) -> Programme:
    """Raises NotFound for an unknown id."""
    programme = session.get(Programme, programme_id)
    if programme is None:
        raise NotFound(f"no programme {programme_id}")
    return programme


def add_programme(session: Session, channel: Channel, values: XProgramme, *, source: str = "api") -> Programme:
    """Add a programme to a live channel's guide.

    Raises:
        BadRequest: the channel is a playout channel (its guide is its schedule), or stop is not after start.
        Conflict: it overlaps a programme already in the guide.
    """
    if channel.kind == "playout":
        raise BadRequest(f"{channel.slug} is a playout channel: its guide comes from its schedule; edit that")
    if values.stop is None or values.stop <= values.start:
        raise BadRequest("a programme needs a stop time after its start")
    clash = session.scalar(
        select(Programme).where(
            Programme.channel_id == channel.id, Programme.start < values.stop, Programme.stop > values.start
        )
    )
    if clash is not None:
        raise Conflict(f"it overlaps {clash.title!r} ({clash.start:%H:%M}-{clash.stop:%H:%M} UTC); delete that first")
    programme = Programme(channel_id=channel.id, start=values.start, stop=values.stop, source=source)
    _assign(programme, values)
    session.add(programme)
    session.flush()
    return programme


def import_xmltv(session: Session, data: bytes, name: str = "the file") -> ImportReport:
    """Upsert the programmes of an XMLTV document into the guides of live channels (by channel and start).

    XMLTV channels map to ours by id = slug (the M3U ``tvg-id``), else by display name. Unknown channels and
    playout channels are reported and skipped; a programme without a stop ends when the next one starts.

    Raises:
        BadRequest: the document is not valid XMLTV (nothing is imported).
    """
    guide = parse_xmltv(data, name)
    mapping, report = _map_channels(session, guide.channels, {p.channel for p in guide.programmes})
    by_channel: dict[str, list[XProgramme]] = {}
    for item in guide.programmes:
        by_channel.setdefault(item.channel, []).append(item)
    for xmltv_id, items in by_channel.items():
        channel = mapping.get(xmltv_id)
        if channel is None:
            report.skipped += len(items)
            continue
        report.channels.append(channel.slug)
        items.sort(key=lambda item: item.start)
        for index, item in enumerate(items):
            stop = item.stop or (items[index + 1].start if index + 1 < len(items) else None)
            if stop is None or stop <= item.start:
                report.skipped += 1
                continue
            _upsert(session, channel, item, stop, report)
    session.flush()
    return report


def export_xmltv(session: Session, start: dt.datetime, end: dt.datetime, slugs: set[str] | None = None) -> bytes:
    """The guide of ``[start, end)`` as XMLTV; ``slugs`` limits the channels (None: all)."""
    channels = list(session.scalars(select(Channel).order_by(Channel.number, Channel.name)))
    channels = [c for c in channels if slugs is None or c.slug in slugs]
    by_id = {channel.id: channel for channel in channels}
    rows = programmes(session, list(by_id), start, end) if by_id else []
    xchannels = [XChannel(c.slug, (c.name,)) for c in channels]
    items = [_xprogramme(by_id[row.channel_id].slug, row) for row in rows]
    return render_xmltv(xchannels, items, source="Airwave")


def guide_extent(session: Session, channel_id: int, source: str) -> dt.datetime | None:
    """The end of the last programme of ``source`` in a channel's guide."""
    return session.scalar(
        select(func.max(Programme.stop)).where(Programme.channel_id == channel_id, Programme.source == source)
    )


def delete_programme(session: Session, programme: Programme) -> None:
    """Remove a programme from a live channel's guide.

    Raises:
        BadRequest: it belongs to a playout channel's schedule.
    """
    if programme.source == "playout":
        raise BadRequest("this programme comes from a playout schedule: edit the schedule instead")
    session.delete(programme)


def clear_programmes(session: Session, channel_id: int, source: str, after: dt.datetime) -> None:
    """Delete a channel's programmes of ``source`` that end after ``after``."""
    session.execute(
        delete(Programme).where(Programme.channel_id == channel_id, Programme.source == source, Programme.stop > after)
    )


def _map_channels(
    session: Session, declared: Sequence[XChannel], used: set[str]
) -> tuple[dict[str, Channel], ImportReport]:
    ours = list(session.scalars(select(Channel)))
    by_slug = {c.slug: c for c in ours}
    by_name = {c.name.casefold(): c for c in ours}
    names = {x.id: x.names for x in declared}
    mapping, report = {}, ImportReport()
    for xmltv_id in sorted(used):
        channel = by_slug.get(xmltv_id) or next(
            (by_name[n.casefold()] for n in names.get(xmltv_id, ()) if n.casefold() in by_name), None
        )
        if channel is None or channel.kind == "playout":
            report.unknown_channels.append(xmltv_id if channel is None else f"{xmltv_id} (playout)")
        else:
            mapping[xmltv_id] = channel
    return mapping, report


def _upsert(session: Session, channel: Channel, item: XProgramme, stop: dt.datetime, report: ImportReport) -> None:
    existing = session.scalar(
        select(Programme).where(Programme.channel_id == channel.id, Programme.start == item.start)
    )
    if existing is None:
        existing = Programme(channel_id=channel.id, start=item.start, source="xmltv")
        session.add(existing)
        report.added += 1
    else:
        report.updated += 1
    existing.stop = stop
    _assign(existing, item)


def _assign(programme: Programme, values: XProgramme) -> None:
    for name in FIELDS:
        setattr(programme, name, getattr(values, name))


def _xprogramme(slug: str, row: Programme) -> XProgramme:
    return XProgramme(slug, row.start, row.stop, **{name: getattr(row, name) for name in FIELDS})

"""The guide of playout channels, written from their schedules: the schedule is the guide.

Programmes (source "playout") are regenerated whenever a schedule changes and whenever a reader asks for
times past what was generated, from the DVR window's start to some days ahead. Past programmes are
regenerated too: catch-up replays what the current schedule places there, and the guide must say the same.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from airwave.channels.epg import clear_programmes, guide_extent
from airwave.channels.plan import load_plan
from airwave.channels.playout import GuideEntry, guide_entries
from airwave.config import Settings
from airwave.store.channels import Channel
from airwave.store.epg import PlayoutBlock, Programme
from airwave.store.tables import Title

GUIDE_DAYS = 7
INTERLUDE = "Interlude"


def refresh_playout_guide(
    session: Session, settings: Settings, channel: Channel, now: dt.datetime, days: int = GUIDE_DAYS
) -> int:
    """Rewrite a playout channel's programmes from its schedule; return how many were written."""
    start = now - dt.timedelta(hours=channel.dvr_hours)
    clear_programmes(session, channel.id, "playout", start)
    session.flush()
    plan = load_plan(session, settings, channel)
    if not plan.schedule.blocks and not plan.schedule.fillers:
        return 0
    query = select(PlayoutBlock.id, PlayoutBlock.title_id).where(PlayoutBlock.channel_id == channel.id)
    block_titles = {row[0]: row[1] for row in session.execute(query)}
    entries = guide_entries(plan, start, now + dt.timedelta(days=days), block_titles)
    taken = set(session.scalars(select(Programme.start).where(Programme.channel_id == channel.id)))
    written = 0
    for entry in entries:
        if entry.start in taken or entry.stop <= start:
            continue  # an older programme kept at that start (outside the rewritten range)
        session.add(_programme(session, channel, entry))
        written += 1
    session.flush()
    return written


def ensure_guides(session: Session, settings: Settings, now: dt.datetime, until: dt.datetime) -> None:
    """Extend the guide of every playout channel whose generated programmes end before ``until``."""
    for channel in session.scalars(select(Channel).where(Channel.kind == "playout")):
        extent = guide_extent(session, channel.id, "playout")
        if extent is None or extent < min(until, now + dt.timedelta(days=GUIDE_DAYS - 1)):
            refresh_playout_guide(session, settings, channel, now)


def _programme(session: Session, channel: Channel, entry: GuideEntry) -> Programme:
    row = Programme(channel_id=channel.id, start=entry.start, stop=entry.stop, source="playout")
    title = session.get(Title, entry.title_id) if entry.title_id is not None else None
    if title is None:
        row.title, row.description = INTERLUDE, f"Short features on {channel.name} until the next programme."
        return row
    row.title_id = title.id
    row.description = title.description
    row.category = title.genres[0].name if title.genres else ""
    parent = session.get(Title, title.parent_id) if title.parent_id else None
    if parent is not None:
        row.title, row.subtitle = parent.name, title.name
        row.category = row.category or (parent.genres[0].name if parent.genres else "")
        if title.season and title.episode:
            row.episode_num = f"{title.season - 1}.{title.episode - 1}."  # xmltv_ns counts from zero
    else:
        row.title = title.name
    return row

"""The demo's live TV: a 24/7 playout channel of the demo titles and a live channel looping a synthetic feed.

Made with the same services as the CLI and the admin pages (``channels.service``, ``channels.programming``,
``channels.epg``), once: an existing channel is left as it is. The live channel's guide is topped up on every
run so that the next 24 hours are always listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from airwave.channels import service
from airwave.channels.epg import add_programme
from airwave.channels.programming import add_block, schedule_changed, set_fillers
from airwave.channels.xmltv import XProgramme
from airwave.media.ffmpeg import find_ffmpeg
from airwave.media.synthetic import Clip, render_clip
from airwave.runtime import Runtime
from airwave.store.channels import Channel
from airwave.store.epg import Programme
from airwave.store.tables import Title

MOVIES = ("airwave-movies", "Airwave Movies")
LIVE = ("airwave-live", "Airwave Live")
# The day of the playout channel, repeated: a film for an hour, then half an hour of the series, 16 times a
# day. The demo titles last seconds, so the fillers play out each block; the guide shows each block as one
# programme under its title, the way a TV guide reads.
FILM_MINUTES, SERIES_MINUTES = 60, 30
# Small, and put on air in ladder mode: the file's keyframes are 10 s apart, the re-encode cuts short segments.
LIVE_CLIP = Clip("Airwave Live", seconds=30, width=640, height=360, colors=("0x5b0e2d", "0xffa781"),
                 subtitle="A looped demo feed")  # fmt: skip
# The live channel's day: (start hour UTC, hours, title, category, description).
LIVE_DAY = [
    (0, 6, "Night Feed", "Music", "Test patterns and tones through the small hours."),
    (6, 3, "Morning Signal", "News", "The morning news, weather and a look at the day's schedule."),
    (9, 3, "Studio Live", "Magazine", "Guests, music and the operator's picks, live from the studio."),
    (12, 1, "Midday News", "News", "The headlines at noon."),
    (13, 4, "Afternoon Loop", "Entertainment", "The best of the week on a loop."),
    (17, 2, "Signal Sport", "Sports", "Results, highlights and the weekend preview."),
    (19, 1, "Evening News", "News", "The day's news in an hour."),
    (20, 2, "Prime Time Live", "Entertainment", "The evening's live show."),
    (22, 2, "Late Edition", "News", "The late news and tomorrow's papers."),
]
LOGO = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 90"><rect width="160" height="90" rx="12"
fill="{bg}"/><text x="80" y="58" font-family="sans-serif" font-size="34" font-weight="700" fill="#fff"
text-anchor="middle">{text}</text></svg>"""


def seed_demo_channels(runtime: Runtime, titles: Sequence[str]) -> list[str]:
    """Create the demo channels if missing (the playout one from the catalogue ``titles``); returns their names.

    Also adds any missing programme of the live channel's guide from an hour ago to a day ahead.
    """
    created = []
    with runtime.db.session() as session:
        existing = set(session.scalars(select(Channel.slug)))
    if MOVIES[0] not in existing:
        _create_movies(runtime, titles)
        created.append(MOVIES[1])
    if LIVE[0] not in existing:
        _create_live(runtime)
        created.append(LIVE[1])
    with runtime.db.session() as session:
        live = session.scalar(select(Channel).where(Channel.slug == LIVE[0]))
        if live is not None:
            fill_live_guide(session, live, runtime.clock.now())
    return created


def _create_movies(runtime: Runtime, names: Sequence[str]) -> None:
    with runtime.db.session() as session:
        rows = session.scalars(select(Title).where(Title.name.in_(names), Title.media_path.is_not(None))).all()
        by_name = {row.name: row for row in rows}
        playable = [by_name[name].id for name in names if name in by_name]
        films = [by_name[name].id for name in names if name in by_name and by_name[name].kind == "film"]
        series = sorted({row.parent_id for row in rows if row.kind == "episode" and row.parent_id is not None})
        channel = service.create_channel(
            session, runtime.settings, runtime.clock, MOVIES[0], name=MOVIES[1], kind="playout", number=1,
            group_title="Movies",
        )  # fmt: skip
        service.save_logo(session, runtime.settings, MOVIES[0], "logo.svg", _logo("AM", "#1d2b64"))
        for start, minutes, title_id in day_blocks(films or playable, series):
            add_block(session, runtime.clock, channel, title_id=title_id, start_minute=start, minutes=minutes)
        set_fillers(session, channel, playable)
        schedule_changed(runtime, session, channel, runtime.clock.now())


def day_blocks(films: Sequence[int], series: Sequence[int]) -> list[tuple[int, int, int]]:
    """The playout day as (start minute, minutes, title id): films in turn, each followed by a series block."""
    blocks: list[tuple[int, int, int]] = []
    start, turn = 0, 0
    while films and start < 1440:
        blocks.append((start, min(FILM_MINUTES, 1440 - start), films[turn % len(films)]))
        start += FILM_MINUTES
        if series and start < 1440:
            blocks.append((start, min(SERIES_MINUTES, 1440 - start), series[turn % len(series)]))
            start += SERIES_MINUTES
        turn += 1
    return blocks


def _create_live(runtime: Runtime) -> None:
    # Kept (unlike the ingest sources): the channel plays this file in a loop.
    path = runtime.settings.data / "demo-sources" / "airwave-live.mp4"
    if not path.is_file():
        render_clip(find_ffmpeg(runtime.settings), LIVE_CLIP, path)
    with runtime.db.session() as session:
        service.create_channel(
            session, runtime.settings, runtime.clock, LIVE[0], name=LIVE[1], source_url=path.resolve().as_uri(),
            number=2, group_title="News", mode="ladder",
        )  # fmt: skip
        service.save_logo(session, runtime.settings, LIVE[0], "logo.svg", _logo("AL", "#a4133c"))


def fill_live_guide(session: Session, channel: Channel, now: dt.datetime, hours: int = 24) -> int:
    """Add the :data:`LIVE_DAY` programmes that overlap ``[now - 1 h, now + hours]`` and are not in the guide yet."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    since, until = now - dt.timedelta(hours=1), now + dt.timedelta(hours=hours)
    taken = session.execute(
        select(Programme.start, Programme.stop).where(
            Programme.channel_id == channel.id, Programme.stop > since, Programme.start < until
        )
    ).all()
    added = 0
    for day in range(-1, hours // 24 + 2):
        for hour, length, title, category, description in LIVE_DAY:
            start = midnight + dt.timedelta(days=day, hours=hour)
            stop = start + dt.timedelta(hours=length)
            if stop <= since or start >= until or any(s < stop and start < e for s, e in taken):
                continue
            item = XProgramme(channel.slug, start, stop, title, description=description, category=category)
            add_programme(session, channel, item, source="api")
            added += 1
    return added


def _logo(text: str, background: str) -> bytes:
    return LOGO.format(text=text, bg=background).encode()

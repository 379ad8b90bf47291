from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select

from airwave.catalog.demo import ADMIN, SUBSCRIBER, DemoTitle, Progress, seed_demo
from airwave.catalog.demo_channels import LIVE, MOVIES
from airwave.channels.epg import programmes
from airwave.channels.sources import parse_source
from airwave.clock import FakeClock
from airwave.config import load_settings
from airwave.media.synthetic import Clip
from airwave.runtime import Runtime, open_runtime
from airwave.store.channels import Channel
from airwave.store.epg import PlayoutBlock, Programme
from airwave.store.tables import Title, User

pytestmark = pytest.mark.e2e

TINY = [
    DemoTitle(Clip("Tiny Film", seconds=2, width=320, height=180, languages=("eng", "fra"), subtitles=("eng",)), {}),
    DemoTitle(
        Clip("Tiny Episode", seconds=2, width=320, height=180),
        {"series": "Tiny Show", "season": 1, "episode": 1, "genres": ["Drama"]},
    ),
]


@contextmanager
def quiet(_name: str) -> Iterator[Progress]:
    seen: list[float] = []
    yield lambda fraction, _message: seen.append(fraction)
    assert seen, "the demo reports ingest progress"


def test_demo_seeds_users_and_titles_once(tmp_path: Path) -> None:
    settings = load_settings(data=tmp_path / "var", ladder=(180,), x264_preset="ultrafast", segment_seconds=1.0)
    runtime = open_runtime(settings, clock=FakeClock())
    try:
        first = seed_demo(runtime, quiet, TINY)
        assert set(first) == {ADMIN[0], SUBSCRIBER[0], "Tiny Film", "Tiny Episode", MOVIES[1], LIVE[1]}
        before = _counts(runtime)
        assert seed_demo(runtime, quiet, TINY) == []  # a second run creates nothing
        assert _counts(runtime) == before
        with runtime.db.session() as session:
            titles = {t.name: t for t in session.scalars(select(Title))}
            roles = dict(session.execute(select(User.email, User.role)).all())
        assert roles == {ADMIN[0]: "admin", SUBSCRIBER[0]: "subscriber"}
        assert titles["Tiny Episode"].parent_id == titles["Tiny Show"].id
        film = titles["Tiny Film"]
        assert sorted(r.language or "" for r in film.renditions if r.kind == "audio") == ["en", "fr"]
        assert [r.language for r in film.renditions if r.kind == "subtitles"] == ["en"]
        assert not list((tmp_path / "var" / "demo-sources").glob("*.mkv")), "sources are removed after ingest"
        _check_channels(runtime, titles)
    finally:
        runtime.close()


def _counts(runtime: Runtime) -> tuple[int, ...]:
    with runtime.db.session() as session:
        return tuple(session.scalar(select(func.count()).select_from(table)) or 0
                     for table in (User, Title, Channel, PlayoutBlock, Programme))  # fmt: skip


def _check_channels(runtime: Runtime, titles: dict[str, Title]) -> None:
    now = runtime.clock.now()
    day = now + dt.timedelta(hours=24)
    with runtime.db.session() as session:
        channels = {c.slug: c for c in session.scalars(select(Channel))}
        movies, live = channels[MOVIES[0]], channels[LIVE[0]]
        assert (movies.kind, movies.enabled, live.kind, live.enabled) == ("playout", True, "live", True)
        source = parse_source(live.source_url)
        assert source.kind == "file"
        assert source.path.is_file(), "the looped live source is kept"
        blocks = session.scalars(select(PlayoutBlock).where(PlayoutBlock.channel_id == movies.id)).all()
        assert sum(block.minutes for block in blocks) == 24 * 60, "the playout grid fills the day"
        # films for an hour, then half an hour of the series (its episodes in turn): a guide that reads like TV
        assert {block.title_id for block in blocks} == {titles["Tiny Film"].id, titles["Tiny Show"].id}
        assert min(block.minutes for block in blocks) == 30
        for channel in (movies, live):
            rows = programmes(session, [channel.id], now, day)
            assert rows[0].start <= now, channel.slug
            assert rows[-1].stop >= day, channel.slug
            assert all(a.stop == b.start for a, b in itertools.pairwise(rows)), "no holes in the guide"

"""The segment index on disk: appends seen incrementally by readers, numbering that survives restarts,
compaction, and retention that keeps files for the grace period."""

from __future__ import annotations

from pathlib import Path

import pytest

from airwave.channels.feeds import DvrFeed, segment_uri
from airwave.channels.index import IndexReader, IndexWriter
from airwave.channels.retention import Retention
from airwave.clock import FakeClock
from airwave.config import Settings
from tests.channels.settings import quiet_settings


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return quiet_settings(tmp_path, database_url)


def test_readers_follow_appends_and_numbering_survives_a_restart(tmp_path: Path) -> None:
    writer = IndexWriter(tmp_path)
    reader = IndexReader(writer.path)
    writer.append(1000.0, 2.0, False, "a", 0, ("live",))
    writer.append(1000.5, 2.0, False, "a", 1, ("live",))
    assert [(e.msn, e.start) for e in reader.entries()] == [(0, 1000.0), (1, 1002.0)]
    again = IndexWriter(tmp_path)  # the supervisor restarted
    entry = again.append(1010.0, 2.0, True, "b", 0, ("live",))
    assert (entry.msn, entry.discontinuity, entry.dseq, entry.start) == (2, True, 1, 1010.0)
    assert again.append(0.0, 2.0, True, "c", 0, ("live",)).start == 1012.0  # dates never go back
    assert [e.msn for e in reader.entries()] == [0, 1, 2, 3]


def test_compaction_is_seen_by_readers(tmp_path: Path) -> None:
    writer = IndexWriter(tmp_path)
    reader = IndexReader(writer.path)
    for n in range(10):
        writer.append(1000.0 + 2 * n, 2.0, False, "a", n, ("live",))
    assert len(reader.entries()) == 10
    dropped = writer.drop_before(1010.0, keep=2)
    assert [e.n for e in dropped] == [0, 1, 2, 3]
    assert [e.msn for e in reader.entries()] == list(range(4, 10))
    writer.append(0.0, 2.0, False, "a", 10, ("live",))
    assert reader.entries()[-1].msn == 10


def test_retention_deletes_files_only_after_the_grace_period(tmp_path: Path, settings: Settings) -> None:
    clock = FakeClock(start=100_000.0)
    folder = tmp_path / "ch"
    writer = IndexWriter(folder)
    (folder / "live").mkdir()
    for n in range(12):
        writer.append(clock.time() - 3600 + 2 * n, 2.0, False, "a1", n, ("live",))
        (folder / segment_uri("live", "a1", n)).write_bytes(b"x")
    retention = Retention(folder, writer, settings, clock)
    retention.tick(0.0, dvr_hours=0.5, live_runs=set())
    gone_from_index = 12 - len(writer.entries)
    assert gone_from_index == 12 - 2 * settings.live_window_segments
    assert (folder / segment_uri("live", "a1", 0)).exists()  # still within the grace period
    retention.tick(settings.live_retention_grace_seconds + 1, dvr_hours=0.5, live_runs=set())
    assert not (folder / segment_uri("live", "a1", 0)).exists()
    assert (folder / segment_uri("live", "a1", 11)).exists()


def test_the_dvr_feed_cuts_by_time_and_resolves_only_its_files(tmp_path: Path, settings: Settings) -> None:
    feed = DvrFeed(settings, "news")
    writer = IndexWriter(feed.folder)
    for n in range(6):
        writer.append(1000.0 + 2 * n, 2.0, False, "a1", n, ("live",))
    import datetime as dt

    start, end = (dt.datetime.fromtimestamp(t, dt.UTC) for t in (1003.0, 1007.0))
    assert [s.msn for s in feed.segments("live", start, end)] == [1, 2, 3]
    assert [s.msn for s in feed.segments("live", None, None)] == [2, 3, 4, 5]
    assert feed.segments("720p", None, None) == []
    (feed.folder / "live").mkdir()
    (feed.folder / "live" / "a1-000001.m4s").write_bytes(b"x")
    assert feed.resolve("live/a1-000001.m4s") is not None
    assert feed.resolve("../secret.key") is None
    assert feed.resolve("live/missing-000009.m4s") is None

"""Resolving a marked live run's files per session: the init, each segment's A or B by code[N mod L], and
nothing for what the index never listed or for runs that were not marked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from airwave.channels.index import IndexWriter
from airwave.channels.marked import LiveVariants
from airwave.channels.marking import marked_init_path, segment_number, variant_path
from airwave.runtime import Runtime
from airwave.store.tables import PlaybackSession, User
from airwave.store.watermark import WatermarkCode
from airwave.watermark.variants import variant_for

RUN, OTHER = "1a2b3c", "4d5e6f"


def _session(runtime: Runtime, session_id: str) -> str:
    with runtime.db.session() as session:
        user = User(email=f"{session_id}@example.org", password_hash="x", role="subscriber",
                    created_at=runtime.clock.now())  # fmt: skip
        session.add(user)
        session.flush()
        now = runtime.clock.now()
        session.add(PlaybackSession(id=session_id, user_id=user.id, channel="news", created_at=now,
                                    expires_at=now + dt.timedelta(hours=1)))  # fmt: skip
    return session_id


def _channel(folder: Path) -> None:
    writer = IndexWriter(folder)
    for n in range(4):
        writer.append(1_700_000_000 + n, 1.0, n == 0, RUN, n, ("live",))
    writer.append(1_700_000_004, 1.0, True, OTHER, 0, ("live",))  # an unmarked run (the slate, say)
    init = marked_init_path(folder, "live", RUN)
    init.parent.mkdir(parents=True)
    init.write_bytes(b"marked init")
    for n in range(5):  # segment 4 of the run was never listed (a standby segment)
        for variant in ("a", "b"):
            path = variant_path(folder, "live", variant, RUN, n)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(f"{variant}{n}".encode())


def test_sessions_get_their_own_variants_and_nothing_unlisted(runtime: Runtime, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    resolver = LiveVariants(runtime.db, runtime.clock, 64, b"root")
    assert resolver.marked_run(folder, f"live/{RUN}-init.mp4") is None  # before the run is marked
    _channel(folder)
    first, second = _session(runtime, "first"), _session(runtime, "second")
    init = resolver.marked_run(folder, f"live/{RUN}-init.mp4")
    assert init is not None
    assert resolver.locate(first, "news", folder, init).path == marked_init_path(folder, "live", RUN)
    assert resolver.marked_run(folder, f"live/{OTHER}-000000.m4s") is None  # served as recorded
    for who in (first, second):
        for n in range(4):
            marked = resolver.marked_run(folder, f"live/{RUN}-{n:06d}.m4s")
            assert marked is not None
            located = resolver.locate(who, "news", folder, marked)
            with runtime.db.session() as session:
                code = session.get_one(WatermarkCode, who)
                assert code.channel == "news"
                assert located.variant == variant_for(code.code, code.bits, segment_number(n))
            assert located.path == variant_path(folder, "live", located.variant, RUN, n)
            assert "private" in located.cache_control
    unlisted = resolver.marked_run(folder, f"live/{RUN}-000004.m4s")
    assert unlisted is not None
    assert resolver.locate(first, "news", folder, unlisted).path is None

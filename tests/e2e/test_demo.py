from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from airwave.catalog.demo import ADMIN, SUBSCRIBER, DemoTitle, Progress, seed_demo
from airwave.clock import FakeClock
from airwave.config import load_settings
from airwave.media.synthetic import Clip
from airwave.runtime import open_runtime
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
        assert set(first) == {ADMIN[0], SUBSCRIBER[0], "Tiny Film", "Tiny Episode"}
        assert seed_demo(runtime, quiet, TINY) == []  # a second run creates nothing
        with runtime.db.session() as session:
            titles = {t.name: t for t in session.scalars(select(Title))}
            roles = dict(session.execute(select(User.email, User.role)).all())
        assert roles == {ADMIN[0]: "admin", SUBSCRIBER[0]: "subscriber"}
        assert titles["Tiny Episode"].parent_id == titles["Tiny Show"].id
        film = titles["Tiny Film"]
        assert sorted(r.language or "" for r in film.renditions if r.kind == "audio") == ["en", "fr"]
        assert [r.language for r in film.renditions if r.kind == "subtitles"] == ["en"]
        assert not list((tmp_path / "var" / "demo-sources").glob("*.mkv")), "sources are removed after ingest"
    finally:
        runtime.close()

from __future__ import annotations

import asyncio
from pathlib import Path

from airwave.catalog.titles import create_title
from airwave.delivery.variants import MARKED_CACHE, VariantFiles, ensure_code, variant_file
from airwave.runtime import Runtime
from airwave.store.tables import PlaybackSession
from airwave.watermark.codes import code_bit
from tests.web.conftest import make_account


def test_a_segment_resolves_to_the_sessions_variant_and_nothing_else_changes() -> None:
    folder = Path("/media/film")
    code = (bytes([0b01000000]), 8)
    assert (
        variant_file(folder, "720p/seg_00008.m4s", code).folder
        == variant_file(folder, "720p/seg_00000.m4s", code).folder
    )
    first = variant_file(folder, "720p/seg_00000.m4s", code)
    assert (first.folder, first.name, first.variant) == (folder / "720p" / "a", "seg_00000.m4s", "a")
    assert first.cache_control == MARKED_CACHE
    assert variant_file(folder, "720p/seg_00001.m4s", code).folder == folder / "720p" / "b"
    for path in ("720p/init.mp4", "720p/index.m3u8", "audio-eng/seg_x.m4s", "../seg_00001.m4s"):
        assert variant_file(folder, path, code) == variant_file(folder, path, None)
        assert variant_file(folder, path, code).folder == folder


def _session(runtime: Runtime, sid: str) -> int:
    account = make_account(runtime, f"{sid}@example.org", "subscriber")
    with runtime.db.session() as session:
        title = create_title(session, runtime.clock, name=f"Film {sid}")
        session.flush()
        now = runtime.clock.now()
        session.add(PlaybackSession(id=sid, user_id=account.id, title_id=title.id, created_at=now, expires_at=now))
        return title.id


def test_a_sessions_code_is_drawn_once_and_kept(runtime: Runtime) -> None:
    title = _session(runtime, "sess1")
    code = ensure_code(runtime.db, runtime.clock, "sess1", title, 128)
    assert ensure_code(runtime.db, runtime.clock, "sess1", title, 128) == code
    assert len(code[0]) == 16
    assert code[1] == 128


def test_resolver_serves_variants_only_for_marked_renditions(runtime: Runtime, tmp_path: Path) -> None:
    title = _session(runtime, "sess2")
    for variant in ("a", "b"):
        (tmp_path / "180p" / variant).mkdir(parents=True)
    (tmp_path / "360p").mkdir()
    files = VariantFiles(runtime.db, runtime.clock, 64)
    plain = asyncio.run(files.locate("sess2", title, tmp_path, "360p/seg_00003.m4s"))
    assert (plain.folder, plain.name) == (tmp_path, "360p/seg_00003.m4s")
    marked = [asyncio.run(files.locate("sess2", title, tmp_path, f"180p/seg_{n:05}.m4s")) for n in range(64)]
    code = ensure_code(runtime.db, runtime.clock, "sess2", title, 64)
    assert [f.variant for f in marked] == ["ab"[code_bit(code[0], 64, n)] for n in range(64)]
    assert {f.variant for f in marked} == {"a", "b"}

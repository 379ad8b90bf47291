from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from airwave.catalog.titles import create_title
from airwave.delivery.tokens import Keyring, TokenRejected
from airwave.delivery.variants import (
    MARKED_CACHE,
    VariantFiles,
    derived_code,
    ensure_code,
    tells_variant,
    variant_file,
)
from airwave.runtime import Runtime
from airwave.store.tables import PlaybackSession
from airwave.watermark.codes import code_bit
from tests.web.conftest import make_account

ROOT = b"r" * 32


def test_derived_codes_are_per_session_keyed_and_blockwise() -> None:
    code = derived_code(ROOT, "sess", 4096)
    assert len(code) == 512
    assert derived_code(ROOT, "sess", 4096) == code
    assert derived_code(ROOT, "other", 4096) != code
    assert derived_code(b"s" * 32, "sess", 4096) != code  # unpredictable without the token root
    assert derived_code(ROOT, "sess", 300) == code[:38]  # a block of 256 positions at a time: edges agree
    ones = sum(bin(byte).count("1") for byte in code)
    assert 1800 < ones < 2300  # balanced, as random codes are


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
    code = ensure_code(runtime.db, runtime.clock, "sess1", title, 128, ROOT)
    assert ensure_code(runtime.db, runtime.clock, "sess1", title, 128, b"another root") == code  # stored
    assert len(code[0]) == 16
    assert code[1] == 128


def test_resolver_serves_variants_only_for_marked_renditions(runtime: Runtime, tmp_path: Path) -> None:
    title = _session(runtime, "sess2")
    for variant in ("a", "b"):
        (tmp_path / "180p" / variant).mkdir(parents=True)
    (tmp_path / "360p").mkdir()
    files = VariantFiles(runtime.db, runtime.clock, 64, ROOT)
    plain = asyncio.run(files.locate("sess2", title, tmp_path, "360p/seg_00003.m4s"))
    assert (plain.folder, plain.name) == (tmp_path, "360p/seg_00003.m4s")
    marked = [asyncio.run(files.locate("sess2", title, tmp_path, f"180p/seg_{n:05}.m4s")) for n in range(64)]
    code = ensure_code(runtime.db, runtime.clock, "sess2", title, 64, ROOT)
    assert [f.variant for f in marked] == ["ab"[code_bit(code[0], 64, n)] for n in range(64)]
    assert {f.variant for f in marked} == {"a", "b"}


def test_a_marked_sessions_token_carries_its_signed_code_length() -> None:
    signer = Keyring(ROOT, 3600, 600, mark_bits=4096).signer(1_000_000.0)
    plain = signer.sign("sess", "/t/1/", 1_000_100)
    marked = signer.sign("sess", "/t/1/", 1_000_100, marked=True)
    assert len(plain.split(".")) == 4
    assert marked.split(".")[3] == "w35s"  # 4096 in base 36
    assert signer.verify(plain, "/t/1/", 1_000_000.0).mark_bits == 0
    assert signer.verify(marked, "/t/1/", 1_000_000.0).mark_bits == 4096
    key_id, session, expiry, bits, signature = marked.split(".")
    for forged in (f"{key_id}.{session}.{expiry}.{signature}", f"{key_id}.{session}.{expiry}.w1.{signature}",
                   f"{key_id}.{session}.{expiry}.{bits}x.{signature}"):  # fmt: skip
        with pytest.raises(TokenRejected):
            signer.verify(forged, "/t/1/", 1_000_000.0)


def test_only_trusted_proxies_are_told_which_variant_they_got() -> None:
    trusted = ("10.0.0.0/8", "192.0.2.7")
    assert tells_variant("10.1.2.3", trusted)
    assert tells_variant("192.0.2.7", trusted)
    assert not tells_variant("192.0.2.8", trusted)
    assert not tells_variant("10.1.2.3", ())
    assert not tells_variant("", trusted)

"""A marked channel's session code is stored on request, before any segment: an edge may serve every segment
from its cache, and a trace needs the code of every session that watched."""

from __future__ import annotations

from airwave.channels.marked import LiveVariants
from airwave.delivery.variants import derived_code
from airwave.runtime import Runtime
from airwave.store.watermark import WatermarkCode
from tests.channels.test_marked import _session

ROOT = b"token root"


def test_a_sessions_code_is_stored_on_request_before_any_segment(runtime: Runtime) -> None:
    early = _session(runtime, "early")
    resolver = LiveVariants(runtime.db, runtime.clock, 64, ROOT)
    assert not resolver.knows(early)
    code, bits = resolver.code(early, "news")
    assert resolver.knows(early)
    assert (code, bits) == (derived_code(ROOT, early, 64), 64)  # what an edge derives from the token
    with runtime.db.session() as session:
        row = session.get_one(WatermarkCode, early)
        assert (row.channel, row.bits, row.code) == ("news", 64, code)
    assert LiveVariants(runtime.db, runtime.clock, 64, ROOT).code(early, "news") == (code, bits)  # stored once

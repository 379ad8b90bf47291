"""A playout channel has no process, yet the supervisor reports its real state: failing while its schedule has
nothing to play (with the reason), stopped when disabled."""

from __future__ import annotations

from pathlib import Path

import pytest

from airwave.channels.service import set_enabled
from tests.e2e.live import add_channel, channel_field, live_runtime, wait_for

pytestmark = pytest.mark.e2e


def test_an_empty_playout_channel_is_failing_and_a_disabled_one_stopped(tmp_path: Path) -> None:
    with live_runtime(tmp_path) as (runtime, _supervisor):
        add_channel(runtime, "movies", "playout")
        wait_for(lambda: channel_field(runtime, "movies", "state") == "failing", 10, "the empty channel failing")
        assert "add titles with media" in str(channel_field(runtime, "movies", "last_error"))
        with runtime.db.session() as session:
            set_enabled(session, runtime.clock, "movies", False)
        wait_for(lambda: channel_field(runtime, "movies", "state") == "stopped", 10, "the channel stopped")

"""Channel tests use the web fixtures (an app client, an admin, a subscriber)."""

from __future__ import annotations

from tests.channels.playout_setup import rt, sample
from tests.web.conftest import admin, client, viewer

__all__ = ["admin", "client", "rt", "sample", "viewer"]

"""The HTTP fixtures of tests/web (app client, accounts, a published sample title), for the delivery API tests."""

from __future__ import annotations

from tests.web.conftest import admin, client, film, other_viewer, sample, viewer

__all__ = ["admin", "client", "film", "other_viewer", "sample", "viewer"]

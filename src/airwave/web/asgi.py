"""ASGI entry point for server processes: settings come from the environment the CLI prepared."""

from __future__ import annotations

import gc

from starlette.types import ASGIApp

from airwave.config import load_settings
from airwave.runtime import open_runtime
from airwave.web.app import create_app
from airwave.web.front import PlaylistFront


def app_from_env() -> ASGIApp:
    """Factory the HTTP server calls in each worker process: the app behind its playlist front door."""
    app = create_app(open_runtime(load_settings()))
    # The ~200k objects of the loaded app live as long as the process: moved out of the collector's view,
    # the periodic full collections a busy worker triggers no longer walk them (a third of a cached request).
    gc.collect()
    gc.freeze()
    return PlaylistFront(app, app.state)

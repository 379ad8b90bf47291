"""ASGI entry point for server processes: settings come from the environment the CLI prepared."""

from __future__ import annotations

from fastapi import FastAPI

from airwave.config import load_settings
from airwave.runtime import open_runtime
from airwave.web.app import create_app


def app_from_env() -> FastAPI:
    """Factory the HTTP server calls in each worker process."""
    return create_app(open_runtime(load_settings()))

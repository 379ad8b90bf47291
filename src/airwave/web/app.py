"""``create_app(runtime)``: the ASGI application, assembled from the routers of each area."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

import airwave
from airwave.billing.scheduler import BillingScheduler
from airwave.catalog.jobs import JobRunner
from airwave.runtime import Runtime
from airwave.web import iptv, live, media, system
from airwave.web.api import router as api_router
from airwave.web.errors import install_error_handlers
from airwave.web.pages import router as pages_router
from airwave.web.pages.rendering import install_template_helpers

HERE = Path(__file__).parent


def create_app(runtime: Runtime) -> FastAPI:
    """Build the application around an opened runtime; the caller owns the runtime's lifetime."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for component in app.state.components:
            component.start()
        try:
            yield
        finally:
            for component in reversed(app.state.components):
                component.close()

    app = FastAPI(
        title="Airwave",
        version=airwave.__version__,
        description="Pay-TV and on-demand streaming platform: catalogue, accounts, playback.",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.job_runner = JobRunner(runtime)
    app.state.components = [app.state.job_runner, BillingScheduler(runtime)]
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    install_template_helpers(app.state.templates.env)
    install_error_handlers(app)
    system.install(app, runtime)
    # Routes are tried in order: playback (every segment and playlist) before the ~80 API routes.
    media.install(app, runtime)
    live.install(app, runtime)
    app.include_router(api_router, prefix="/api/v1")
    app.include_router(iptv.router)
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    return app

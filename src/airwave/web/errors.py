"""The one place errors become responses: JSON under ``/api``, an HTML page elsewhere."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from airwave.errors import AirwaveError, ClientError, Unauthorized

log = logging.getLogger(__name__)


def install_error_handlers(app: FastAPI) -> None:
    """Map Airwave errors, validation errors and HTTP exceptions to responses."""

    @app.exception_handler(ClientError)
    async def client_error(request: Request, exc: ClientError) -> Response:
        if isinstance(exc, Unauthorized) and _is_page(request):
            return _login_redirect(request)
        return _render(request, exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(AirwaveError)
    async def airwave_error(request: Request, exc: AirwaveError) -> Response:
        log.error("request %s failed: %s", request.url.path, exc)
        return _render(request, 500, "server_error", str(exc), {})

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = [{"field": ".".join(str(p) for p in err["loc"][1:]), "problem": err["msg"]} for err in exc.errors()]
        text = "; ".join(f"{p['field']}: {p['problem']}" for p in problems) or "invalid request"
        return _render(request, 422, "invalid_request", text, {"problems": problems})

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        headers = dict(exc.headers) if exc.headers else None
        return _render(request, exc.status_code, "http_error", str(exc.detail), {}, headers)


def _is_page(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/p/", "/iptv/", "/art/"))


def _login_redirect(request: Request) -> Response:
    # Only a same-site path goes into ``next``; the login page must not redirect off-site either.
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)


def _render(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: dict[str, object],
    headers: dict[str, str] | None = None,
) -> Response:
    if request.url.path.startswith("/api/"):
        body = {"error": {"code": code, "message": message, **details}}
        return JSONResponse(body, status_code=status, headers=headers)
    templates = getattr(request.app.state, "templates", None)
    if templates is None or not _is_page(request):
        return PlainTextResponse(message, status_code=status, headers=headers)
    return templates.TemplateResponse(  # type: ignore[no-any-return]
        request, "error.html", {"status": status, "message": message}, status_code=status, headers=headers
    )

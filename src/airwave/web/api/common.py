"""What every API router shares: the bearer auth scheme, user dependencies, documented error responses."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from airwave.store.tables import User
from airwave.web.api.schemas import ErrorOut
from airwave.web.deps import require_admin, require_staff, require_user

# Declared so /openapi.json shows the scheme; the token itself is read by web.deps.current_user, which also
# accepts the page cookie.
bearer = HTTPBearer(auto_error=False, description="A token from `POST /api/v1/auth/login`.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]


def api_user(request: Request, _credentials: Credentials) -> User:
    """The signed-in user (bearer token or page cookie); 401 otherwise."""
    return require_user(request)


def api_admin(request: Request, _credentials: Credentials) -> User:
    """The signed-in admin; 401 when signed out, 403 for a subscriber."""
    return require_admin(request)


def api_staff(request: Request, _credentials: Credentials) -> User:
    """The signed-in admin or support agent; 401 when signed out, 403 for a subscriber."""
    return require_staff(request)


ApiUser = Annotated[User, Depends(api_user)]
ApiStaff = Annotated[User, Depends(api_staff)]
ApiAdmin = Annotated[User, Depends(api_admin)]


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the error bodies a route can answer with."""
    return {status: {"model": ErrorOut} for status in statuses}

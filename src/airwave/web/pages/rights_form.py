"""The rights fields of the admin title form: licence window (dates, UTC) and territories; pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request

from airwave.accounts import audit
from airwave.accounts.rights import normalise_territories, set_title_rights
from airwave.errors import BadRequest
from airwave.store.tables import Title
from airwave.web import deps
from airwave.web.pages.title_form import FormResult

FIELDS = ("available_from", "available_until", "territories")


def read_rights_fields(form: Mapping[str, str], result: FormResult) -> None:
    """Add the window and territories to ``result.values`` (under "rights"), or their problems to its errors."""
    values: dict[str, object] = {}
    for key in ("available_from", "available_until"):
        values[key] = _moment(form.get(key, ""), key, result)
    start, end = values["available_from"], values["available_until"]
    if isinstance(start, dt.datetime) and isinstance(end, dt.datetime) and end <= start:
        result.errors["available_until"] = "The licence must end after it starts."
    try:
        values["territories"] = normalise_territories(form.get("territories", ""))
    except BadRequest as exc:
        result.errors["territories"] = exc.message[:1].upper() + exc.message[1:] + "."
    result.values["rights"] = values


def rights_form_of(title: Title) -> dict[str, str]:
    """The rights fields of a title, as the form shows them."""

    def text(moment: dt.datetime | None) -> str:
        return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M") if moment else ""

    return {
        "available_from": text(title.available_from),
        "available_until": text(title.available_until),
        "territories": title.territories.replace(" ", ", "),
    }


def save_rights(request: Request, session: Session, title: Title, rights: Mapping[str, Any]) -> None:
    """Apply the form's rights to ``title``; a change is written to the audit log."""
    before = rights_form_of(title)
    set_title_rights(
        title,
        available_from=rights["available_from"],
        available_until=rights["available_until"],
        territories=rights["territories"],
    )
    after = rights_form_of(title)
    if after != before:
        user = deps.current_user(request)
        if user is not None:
            detail = ", ".join(f"{key}: {after[key] or '-'}" for key in FIELDS)
            actor = deps.actor(request, user)
            audit.record(session, deps.get_runtime(request).clock, actor, "title.rights", f"title:{title.id}", detail)


def _moment(raw: str, key: str, result: FormResult) -> dt.datetime | None:
    raw = raw.strip()
    if not raw:
        return None
    for layout in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(raw, layout).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    result.errors[key] = "Enter a date such as 2027-05-01 (and optionally a UTC time)."
    return None

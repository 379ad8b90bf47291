"""Packages: channel packages, VOD collections and add-ons; a form to add one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from pydantic import BaseModel
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from airwave.accounts import audit
from airwave.billing.money import format_amount, parse_amount
from airwave.billing.packages import PackageSpec, create_package, describe_package, list_packages
from airwave.errors import BadRequest, ClientError
from airwave.store.channels import Channel
from airwave.store.tables import Genre
from airwave.web import deps
from airwave.web.pages.rendering import redirect, render

router = APIRouter()


class PackageFields(BaseModel):
    slug: str = ""
    name: str = ""
    channels: list[str] = []
    genres: list[str] = []
    titles: str = ""
    addon: str = ""
    price: str = "0"
    currency: str = "EUR"


@router.get("/admin/packages")
def packages_page(request: Request) -> Response:
    """Every package and add-on, and the form that adds one."""
    return _page(request, PackageFields(), {})


def _page(request: Request, form: PackageFields, errors: dict[str, str], status: int = 200) -> Response:
    with deps.get_runtime(request).db.session() as session:
        context = {
            "section": "packages", "packages": list_packages(session), "form": form.model_dump(), "errors": errors,
            "channels": list(session.scalars(select(Channel).order_by(Channel.number, Channel.name))),
            "genres": list(session.scalars(select(Genre.name).order_by(Genre.name))),
            "format_amount": format_amount,
        }  # fmt: skip
        return render(request, "admin/packages.html", context, status=status)


@router.post("/admin/packages", dependencies=[Depends(deps.check_csrf)])
def add_package(request: Request, fields: Annotated[PackageFields, Form()]) -> Response:
    """Create a package from the form, or show the form again with the problem."""
    runtime = deps.get_runtime(request)
    try:
        spec = PackageSpec(
            name=fields.name, channels=tuple(fields.channels), genres=tuple(fields.genres),
            title_ids=_ids(fields.titles), addon=bool(fields.addon),
            price=parse_amount(fields.price or "0", fields.currency), currency=fields.currency,
        )  # fmt: skip
        with runtime.db.session() as session:
            package = create_package(session, runtime.clock, fields.slug, spec)
            audit.record(session, runtime.clock, deps.admin_actor(request), "package.create",
                         f"package:{package.slug}", describe_package(package))  # fmt: skip
            return redirect(request, "/admin/packages", f"Package \u201c{package.name}\u201d created.")
    except ClientError as exc:
        return _page(request, fields, {"form": exc.message}, status=400)


def _ids(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.replace(",", " ").split())
    except ValueError:
        raise BadRequest(f"title ids are numbers separated by commas, not {text!r}") from None

"""Channel packages and VOD collections, included in plans or bought on top as add-ons."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from airwave.billing.money import INTERVALS, currency_code, format_amount
from airwave.clock import Clock
from airwave.errors import BadRequest, Conflict, NotFound
from airwave.store.billing import Package
from airwave.store.channels import Channel
from airwave.store.tables import Genre, Title

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def check_slug(slug: str, what: str) -> str:
    """A lower-case slug of letters, digits and dashes.

    Raises:
        BadRequest: it is not one.
    """
    slug = slug.strip().lower()
    if not SLUG.match(slug):
        raise BadRequest(f"{slug!r} is not a valid {what} slug: use lower-case letters, digits and dashes")
    return slug


@dataclass(frozen=True)
class PackageSpec:
    """What a package holds and, for an add-on, what it costs per interval (minor units)."""

    name: str
    channels: tuple[str, ...] = ()
    title_ids: tuple[int, ...] = ()
    genres: tuple[str, ...] = ()
    addon: bool = False
    price: int = 0
    currency: str = "EUR"
    interval: str = "month"
    description: str = ""


def create_package(session: Session, clock: Clock, slug: str, spec: PackageSpec) -> Package:
    """Create a package of channels, titles (a series brings its episodes) and genres.

    Raises:
        BadRequest: bad slug, name, interval, or unknown channels, titles or genres.
        Conflict: the slug is taken.
    """
    slug = check_slug(slug, "package")
    if session.scalar(select(Package).where(Package.slug == slug)) is not None:
        raise Conflict(f"a package {slug!r} exists already")
    package = Package(slug=slug, created_at=clock.now())
    _apply(session, package, spec)
    session.add(package)
    session.flush()
    return package


def update_package(session: Session, package: Package, spec: PackageSpec) -> Package:
    """Replace a package's contents and terms (the slug stays).

    Raises:
        BadRequest: as for :func:`create_package`.
    """
    _apply(session, package, spec)
    session.flush()
    return package


def _apply(session: Session, package: Package, spec: PackageSpec) -> None:
    if not spec.name.strip():
        raise BadRequest("a package needs a name")
    if spec.interval not in INTERVALS:
        raise BadRequest(f"unknown interval {spec.interval!r}: use month or year")
    if spec.price < 0:
        raise BadRequest("a price cannot be negative")
    package.name = spec.name.strip()[:120]
    package.description = spec.description.strip()
    package.channels = _known_channels(session, spec.channels)
    package.title_ids = _known_titles(session, spec.title_ids)
    package.genres = _known_genres(session, spec.genres)
    package.addon = spec.addon
    package.price = spec.price
    package.currency = currency_code(spec.currency)
    package.interval = spec.interval


def _known_channels(session: Session, slugs: Iterable[str]) -> list[str]:
    wanted = sorted({slug.strip().lower() for slug in slugs if slug.strip()})
    known = set(session.scalars(select(Channel.slug).where(Channel.slug.in_(wanted)))) if wanted else set()
    unknown = [slug for slug in wanted if slug not in known]
    if unknown:
        raise BadRequest(f"no channel {', '.join(unknown)}: list them with `airwave channel list`")
    return wanted


def _known_titles(session: Session, ids: Iterable[int]) -> list[int]:
    wanted = sorted(set(ids))
    known = set(session.scalars(select(Title.id).where(Title.id.in_(wanted)))) if wanted else set()
    unknown = [str(title_id) for title_id in wanted if title_id not in known]
    if unknown:
        raise BadRequest(f"no title with id {', '.join(unknown)}")
    return wanted


def _known_genres(session: Session, names: Iterable[str]) -> list[str]:
    wanted = {name.strip().lower(): name.strip() for name in names if name.strip()}
    rows = session.scalars(select(Genre.name)) if wanted else iter(())
    canonical = {name.lower(): name for name in rows}
    unknown = [name for key, name in wanted.items() if key not in canonical]
    if unknown:
        raise BadRequest(f"no genre {', '.join(unknown)}: genres come from the catalogue's titles")
    return sorted(canonical[key] for key in wanted)


def describe_package(package: Package) -> str:
    """ "Sports: add-on at €4.99 a month; channels sport1, sport2; 0 titles; genres Football": the audit log's
    detail of a package."""
    price = format_amount(package.price, package.currency)
    kind = f"add-on at {price} a {package.interval}" if package.addon else "package"
    return (
        f"{package.name}: {kind}; channels {', '.join(package.channels) or 'none'}; {len(package.title_ids)} titles; "
        f"genres {', '.join(package.genres) or 'none'}"
    )


def get_package(session: Session, slug: str) -> Package:
    """The package with this slug.

    Raises:
        NotFound: there is none.
    """
    package = session.scalar(select(Package).where(Package.slug == slug.strip().lower()))
    if package is None:
        raise NotFound(f"no package {slug!r}: list them with `airwave package list`")
    return package


def list_packages(session: Session, *, addons_only: bool = False) -> list[Package]:
    """Every package (or only add-ons), by name."""
    query = select(Package).order_by(Package.name)
    if addons_only:
        query = query.where(Package.addon.is_(True))
    return list(session.scalars(query))


def delete_package(session: Session, package: Package) -> None:
    """Delete a package; plans that included it no longer do."""
    session.delete(package)
    session.flush()

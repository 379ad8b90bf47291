"""The registry of caching edges: adding and removing them, and choosing one for a new session.

Each new session gets the URL of a healthy edge in the client's region (least loaded first), or of any
healthy edge when its region has none, or no edge at all (the origin serves, embedded mode). The master
playlist also lists every variant again through a second healthy edge (RFC 8216 4.3.4.2.1: redundant
variant streams), so a player whose edge dies carries on through the other. The health checks that take a
dead edge out of rotation run in :mod:`airwave.delivery.monitor`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from airwave.clock import Clock
from airwave.errors import BadRequest, Conflict, NotFound
from airwave.store.delivery import Edge

DEFAULT_REGION = "default"
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


@dataclass(frozen=True)
class EdgeChoice:
    """The edges a session plays through: the primary, then backups for redundant variants."""

    name: str
    url: str


def add_edge(session: Session, clock: Clock, name: str, url: str, region: str = DEFAULT_REGION) -> Edge:
    """Register an edge; it enters rotation after its first passing health check.

    Raises:
        BadRequest: a bad name or URL.
        Conflict: an edge of that name exists.
    """
    if not _NAME.match(name):
        raise BadRequest(f"edge name {name!r}: use lower-case letters, digits and '-'")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise BadRequest(f"edge URL {url!r}: give the base URL players reach it at, e.g. https://edge1.example.net")
    if session.scalar(select(Edge).where(Edge.name == name)) is not None:
        raise Conflict(f"an edge called {name!r} is already registered; remove it first")
    edge = Edge(name=name, url=url.rstrip("/"), region=region or DEFAULT_REGION, created_at=clock.now())
    session.add(edge)
    session.flush()
    return edge


def remove_edge(session: Session, name: str) -> None:
    """Take an edge out of the registry.

    Raises:
        NotFound: no such edge.
    """
    edge = session.scalar(select(Edge).where(Edge.name == name))
    if edge is None:
        raise NotFound(f"no edge called {name!r}")
    session.delete(edge)


def list_edges(session: Session) -> list[Edge]:
    return list(session.scalars(select(Edge).order_by(Edge.region, Edge.name)))


def choose(edges: Sequence[Edge], region: str, count: int = 2) -> list[EdgeChoice]:
    """Pick up to ``count`` healthy edges, the client's region first, least loaded first; pure."""
    healthy = [edge for edge in edges if edge.healthy]
    ranked = sorted(healthy, key=lambda edge: (edge.region != region, edge.connections, edge.name))
    return [EdgeChoice(edge.name, edge.url) for edge in ranked[:count]]


def region_for(regions: Sequence[str], client_ip: str) -> str:
    """The region of ``client_ip`` from ``CIDR=region`` entries (the ``regions`` setting); pure."""
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return DEFAULT_REGION
    for entry in regions:
        network, _, region = entry.partition("=")
        try:
            if address in ipaddress.ip_network(network.strip(), strict=False):
                return region.strip() or DEFAULT_REGION
        except ValueError:
            continue
    return DEFAULT_REGION


def redundant_master(master: str, backups: Sequence[str]) -> str:
    """Repeat every variant of ``master`` under each backup base URL (absolute), after the originals; pure.

    ``backups`` are URL prefixes ending in ``/`` that replace the master's folder, e.g.
    ``http://edge2:8081/p/<token>/t/42/``. Players switch to a backup variant when theirs fails. Alternate
    renditions (audio, subtitles) are repeated too, in groups of their own (``GROUP-ID`` plus ``-backupN``)
    that the backup variants name: a backup variant that shared the original audio group would keep
    fetching its audio from the dead edge.
    """
    lines = master.rstrip("\n").split("\n")
    media = [line for line in lines if line.startswith("#EXT-X-MEDIA:")]
    variants: list[tuple[str, str]] = []
    for index, line in enumerate(lines[:-1]):
        if line.startswith("#EXT-X-STREAM-INF:"):
            variants.append((line, lines[index + 1]))
    extra: list[str] = []
    for number, base in enumerate(backups, start=1):
        suffix = f"-backup{number}"
        extra += [_regroup(_rebase(line, base), suffix) for line in media]
        extra += [f"{_regroup(tag, suffix)}\n{base}{uri}" for tag, uri in variants]
    return "\n".join([*lines, *extra]) + "\n"


_GROUP = re.compile(r'\b(GROUP-ID|AUDIO|SUBTITLES)="([^"]*)"')
_URI = re.compile(r'\bURI="(?![a-z]+://)([^"]*)"')


def _regroup(tag: str, suffix: str) -> str:
    """``tag`` with its group references (``GROUP-ID``, ``AUDIO``, ``SUBTITLES``) renamed by ``suffix``."""
    return _GROUP.sub(lambda match: f'{match.group(1)}="{match.group(2)}{suffix}"', tag)


def _rebase(tag: str, base: str) -> str:
    """``tag`` with a relative ``URI`` made absolute under ``base``."""
    return _URI.sub(lambda match: f'URI="{base}{match.group(1)}"', tag)

"""The client's territory (ISO 3166-1 alpha-2 country) from its IP address, for licence territories.

Two operator-supplied sources, asked in this order:

* ``Settings.geoip_csv``: a CSV of ``network,country`` (``192.0.2.0/24,GB``) or ``first,last,country``
  (``192.0.2.0,192.0.2.255,GB``, the DB-IP / IP2Location "lite" layout) lines; ``#`` comments and a header
  line are skipped; the most specific network wins. Good for overrides (an office, a hotel network).
* ``Settings.geoip_mmdb``: a MaxMind DB (GeoIP2 / GeoLite2 Country or City, or any database whose records
  carry ``country.iso_code`` or ``country_code``), read with the ``maxminddb`` package.

The client's network (autonomous system number), for plans that bind sessions to a network
(``delivery/binding.py``), comes from ``Settings.geoip_asn_mmdb``: a MaxMind DB in the GeoLite2-ASN layout
(records carry ``autonomous_system_number``).

Behind reverse proxies set ``Settings.trusted_proxies``: only when the peer is one of them is
``X-Forwarded-For`` believed, read right to left, skipping the trusted hops (a client can prepend anything).
Files are loaded once and reloaded when they change on disk.
"""

from __future__ import annotations

import csv
import ipaddress
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import maxminddb

from airwave.config import Settings
from airwave.errors import ConfigError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address(peer: str, forwarded_for: Sequence[str], trusted: Sequence[str]) -> str:
    """The client's IP: the peer, or behind trusted proxies the right-most untrusted ``X-Forwarded-For`` hop."""
    networks = [ipaddress.ip_network(item, strict=False) for item in trusted]

    def is_trusted(address: str) -> bool:
        parsed = _address(address)
        return parsed is not None and any(parsed in network for network in networks)

    if not is_trusted(peer):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop):
            return hop if _address(hop) is not None else peer
    return hops[0] if hops else peer


def territory_for(settings: Settings, client_ip: str, headers: Mapping[str, str]) -> str | None:
    """The territory of the request from peer ``client_ip`` with ``headers``, or None when unknown."""
    forwarded = _header_values(headers, "x-forwarded-for")
    address = _address(client_address(client_ip, forwarded, settings.trusted_proxies))
    if address is None:
        return None
    if settings.geoip_csv is not None:
        found = _load(settings.geoip_csv, CsvTerritories).lookup(address)
        if found:
            return found
    if settings.geoip_mmdb is not None:
        return _load(settings.geoip_mmdb, MmdbTerritories).lookup(address)
    return None


def asn_for(settings: Settings, client_ip: str) -> int | None:
    """The autonomous system number of ``client_ip`` (already the client, not a proxy), or None when unknown
    (no ASN database configured, an address it does not list, or no address)."""
    address = _address(client_ip)
    if address is None or settings.geoip_asn_mmdb is None:
        return None
    return _load(settings.geoip_asn_mmdb, MmdbNetworks).lookup(address)


class CsvTerritories:
    """Networks to countries from a CSV file; the longest matching prefix wins."""

    def __init__(self, path: Path) -> None:
        self._by_prefix: dict[tuple[int, int], dict[int, str]] = {}
        try:
            with path.open(newline="", encoding="utf-8") as handle:
                for number, row in enumerate(csv.reader(handle), start=1):
                    self._add_row(path, number, row)
        except OSError as exc:
            raise ConfigError(f"cannot read the GeoIP CSV {path}: {exc.strerror}") from None
        self._order = sorted(self._by_prefix, key=lambda key: -key[1])

    def lookup(self, address: IPAddress) -> str | None:
        value = int(address)
        for version, prefix in self._order:
            if version == address.version:
                shift = address.max_prefixlen - prefix
                found = self._by_prefix[(version, prefix)].get(value >> shift << shift)
                if found:
                    return found
        return None

    def _add_row(self, path: Path, number: int, row: list[str]) -> None:
        cells = [cell.strip() for cell in row]
        if not cells or not cells[0] or cells[0].startswith("#"):
            return
        try:
            code = cells[-1].upper()
            if len(code) != 2 or not code.isalpha() or not code.isascii():
                raise ValueError(f"{cells[-1]!r} is not a two-letter country code")
            for network in _networks(cells):
                key = (network.version, network.prefixlen)
                self._by_prefix.setdefault(key, {})[int(network.network_address)] = code
        except (ValueError, TypeError) as exc:
            if number == 1 and not any(char.isdigit() for char in cells[0]):  # a header such as "network,country"
                return
            raise ConfigError(
                f"{path} line {number}: {exc}; expected `network,country` or `first,last,country`"
            ) from None


class MmdbTerritories:
    """Countries from a MaxMind DB file."""

    def __init__(self, path: Path) -> None:
        try:
            self._reader = maxminddb.open_database(str(path))
        except (OSError, maxminddb.InvalidDatabaseError, ValueError) as exc:
            raise ConfigError(f"cannot open the GeoIP database {path}: {exc}") from None

    def lookup(self, address: IPAddress) -> str | None:
        if address.version == 6 and self._reader.metadata().ip_version == 4:
            return None
        record: Any = self._reader.get(address)
        if not isinstance(record, dict):
            return None
        for key in ("country", "registered_country"):
            place = record.get(key)
            if isinstance(place, dict) and isinstance(place.get("iso_code"), str):
                return str(place["iso_code"]).upper()
        code = record.get("country_code") or record.get("iso_code")
        return code.upper() if isinstance(code, str) else None


class MmdbNetworks:
    """Autonomous system numbers from a MaxMind DB file (GeoLite2-ASN layout)."""

    def __init__(self, path: Path) -> None:
        try:
            self._reader = maxminddb.open_database(str(path))
        except (OSError, maxminddb.InvalidDatabaseError, ValueError) as exc:
            raise ConfigError(f"cannot open the ASN database {path}: {exc}; check `geoip_asn_mmdb`") from None

    def lookup(self, address: IPAddress) -> int | None:
        if address.version == 6 and self._reader.metadata().ip_version == 4:
            return None
        record: Any = self._reader.get(address)
        number = record.get("autonomous_system_number") if isinstance(record, dict) else None
        return number if isinstance(number, int) and not isinstance(number, bool) and number > 0 else None


Loaded = TypeVar("Loaded", CsvTerritories, MmdbTerritories, MmdbNetworks)
_cache: dict[tuple[Path, str], tuple[tuple[int, int], Any]] = {}
_lock = threading.Lock()


def _load(path: Path, kind: type[Loaded]) -> Loaded:
    try:
        status = path.stat()
    except OSError as exc:
        raise ConfigError(f"the GeoIP file {path} cannot be read: {exc.strerror}") from None
    stamp = (status.st_mtime_ns, status.st_size)
    key = (path, kind.__name__)
    with _lock:
        cached = _cache.get(key)
        if cached is None or cached[0] != stamp:
            cached = (stamp, kind(path))
            _cache[key] = cached
        loaded: Loaded = cached[1]
        return loaded


def _networks(cells: list[str]) -> Iterable[IPNetwork]:
    if len(cells) == 2:
        return [ipaddress.ip_network(cells[0], strict=False)]
    if len(cells) >= 3:
        first, last = ipaddress.ip_address(cells[0]), ipaddress.ip_address(cells[1])
        return ipaddress.summarize_address_range(first, last)
    raise ValueError(f"{len(cells)} column(s)")


def _address(text: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _header_values(headers: Mapping[str, str], name: str) -> list[str]:
    getlist = getattr(headers, "getlist", None)
    if callable(getlist):
        return [str(value) for value in getlist(name)]
    value = headers.get(name)
    return [value] if value else []

"""Client territory from the IP: CSV and MaxMind databases, and X-Forwarded-For only from trusted proxies."""

from __future__ import annotations

from pathlib import Path

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from airwave.accounts.geo import client_address, territory_for
from airwave.config import Settings, load_settings
from airwave.errors import ConfigError

CSV = """network,country
# operator overrides
10.0.0.0/8,GB
10.1.0.0/16,IE
192.0.2.0,192.0.2.255,DE
2001:db8::/32,FR
"""


def _settings(tmp_path: Path, **values: object) -> Settings:
    return load_settings(data=tmp_path / "var", secret_key="k", **values)


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "geo.csv"
    path.write_text(CSV)
    return path


@pytest.mark.parametrize(
    ("ip", "country"),
    [
        ("10.2.3.4", "GB"),
        ("10.1.200.1", "IE"),  # the most specific network wins
        ("192.0.2.77", "DE"),  # a first,last range
        ("2001:db8::1", "FR"),
        ("::ffff:10.1.0.9", "IE"),  # IPv4-mapped IPv6
        ("203.0.113.5", None),
        ("not an ip", None),
    ],
)
def test_csv_lookup(tmp_path: Path, csv_file: Path, ip: str, country: str | None) -> None:
    assert territory_for(_settings(tmp_path, geoip_csv=csv_file), ip, {}) == country


def test_csv_with_a_bad_line_names_it(tmp_path: Path) -> None:
    path = tmp_path / "geo.csv"
    path.write_text("10.0.0.0/8,GB\n10.0.0.0/33,IE\n")
    with pytest.raises(ConfigError, match=r"geo.csv line 2"):
        territory_for(_settings(tmp_path, geoip_csv=path), "10.0.0.1", {})
    path.write_text("10.0.0.0/8,Britain\n")
    with pytest.raises(ConfigError, match="not a two-letter country code"):
        territory_for(_settings(tmp_path, geoip_csv=path), "10.0.0.1", {})


def test_csv_is_reloaded_when_it_changes(tmp_path: Path, csv_file: Path) -> None:
    settings = _settings(tmp_path, geoip_csv=csv_file)
    assert territory_for(settings, "10.2.3.4", {}) == "GB"
    csv_file.write_text("10.0.0.0/8,NL\n# longer now\n")
    assert territory_for(settings, "10.2.3.4", {}) == "NL"


def test_mmdb_lookup(tmp_path: Path) -> None:
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoIP2-Country")
    writer.insert_network(IPSet(["198.51.100.0/24"]), {"country": {"iso_code": "US"}})
    writer.insert_network(IPSet(["2001:db8:1::/48"]), {"registered_country": {"iso_code": "ca"}})
    writer.insert_network(IPSet(["203.0.113.0/24"]), {"country_code": "JP"})
    path = tmp_path / "country.mmdb"
    writer.to_db_file(str(path))
    settings = _settings(tmp_path, geoip_mmdb=path)
    assert territory_for(settings, "198.51.100.20", {}) == "US"
    assert territory_for(settings, "2001:db8:1::5", {}) == "CA"
    assert territory_for(settings, "203.0.113.1", {}) == "JP"
    assert territory_for(settings, "192.0.2.1", {}) is None


def test_csv_overrides_mmdb(tmp_path: Path, csv_file: Path) -> None:
    writer = MMDBWriter(ip_version=4, database_type="GeoIP2-Country")
    writer.insert_network(IPSet(["10.0.0.0/8", "203.0.113.0/24"]), {"country": {"iso_code": "US"}})
    path = tmp_path / "country.mmdb"
    writer.to_db_file(str(path))
    settings = _settings(tmp_path, geoip_csv=csv_file, geoip_mmdb=path)
    assert territory_for(settings, "10.2.3.4", {}) == "GB"
    assert territory_for(settings, "203.0.113.9", {}) == "US"


def test_a_broken_mmdb_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.mmdb"
    path.write_bytes(b"not a database")
    with pytest.raises(ConfigError, match="cannot open the GeoIP database"):
        territory_for(_settings(tmp_path, geoip_mmdb=path), "10.0.0.1", {})


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    trusted = ("127.0.0.1/32", "10.0.0.0/8")
    # no trusted proxy: the peer is the client, whatever the header says
    assert client_address("203.0.113.9", ["10.1.2.3"], ()) == "203.0.113.9"
    assert client_address("203.0.113.9", ["10.1.2.3"], trusted) == "203.0.113.9"
    # behind two trusted hops, the right-most untrusted address is the client; a spoofed left part is ignored
    assert client_address("127.0.0.1", ["6.6.6.6, 198.51.100.4, 10.0.0.5"], trusted) == "198.51.100.4"
    assert client_address("127.0.0.1", ["6.6.6.6", "198.51.100.4"], trusted) == "198.51.100.4"
    assert client_address("127.0.0.1", [], trusted) == "127.0.0.1"
    assert client_address("127.0.0.1", ["garbage"], trusted) == "127.0.0.1"


def test_territory_uses_the_forwarded_client(tmp_path: Path, csv_file: Path) -> None:
    settings = _settings(tmp_path, geoip_csv=csv_file, trusted_proxies="127.0.0.1")
    assert territory_for(settings, "127.0.0.1", {"x-forwarded-for": "192.0.2.1"}) == "DE"
    untrusting = _settings(tmp_path, geoip_csv=csv_file)
    assert territory_for(untrusting, "203.0.113.5", {"x-forwarded-for": "192.0.2.1"}) is None

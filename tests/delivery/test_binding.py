"""Client binding per plan: none logs a replay, ip refuses other addresses, asn refuses other networks only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from airwave.accounts.geo import asn_for
from airwave.billing.plans import PlanSpec, create_plan
from airwave.billing.subscriptions import subscribe
from airwave.channels.playback import start_channel
from airwave.channels.service import create_channel
from airwave.config import load_settings
from airwave.delivery import binding
from airwave.delivery.tokens import ClientBinding, Keyring, Signer, client_tag, network_tag, token_root
from airwave.runtime import Runtime
from airwave.store.delivery import DeliveryEvent
from airwave.store.tables import PlaybackSession, User
from airwave.web.app import create_app
from airwave.web.front import PlaylistFront
from tests.web.conftest import Account
from tests.web.test_playback_front import Counting

HOME = "198.51.100.10"  # AS64500, where every session below starts
SAME_NETWORK = "198.51.100.77"  # AS64500 too: the same phone on another address of its mobile network
OTHER_NETWORK = "203.0.113.5"  # AS64511
UNLISTED = "192.0.2.9"  # in no network of the database


def write_asn_database(path: Path, networks: dict[str, int]) -> Path:
    """A GeoLite2-ASN-layout database mapping each CIDR to its autonomous system."""
    writer = MMDBWriter(ip_version=4, database_type="GeoLite2-ASN")
    for cidr, number in networks.items():
        writer.insert_network(IPSet([cidr]), {"autonomous_system_number": number,
                                              "autonomous_system_organization": f"Network {number}"})  # fmt: skip
    writer.to_db_file(str(path))
    return path


@pytest.fixture
def asn_db(tmp_path: Path) -> Path:
    return write_asn_database(tmp_path / "asn.mmdb", {"198.51.100.0/24": 64500, "203.0.113.0/24": 64511})


def test_stricter_binding_wins_and_asn_allows_only_its_network(tmp_path: Path) -> None:
    assert binding.stricter("none", "ip") == "ip"
    assert binding.stricter("asn", "none") == "asn"
    assert binding.stricter("ip", "asn") == "ip"
    bound = load_settings(data=tmp_path, secret_key="k", bind_session_ip=True)
    assert binding.effective(bound, "none") == "ip"
    assert binding.effective(bound, "asn") == "ip"
    assert binding.effective(load_settings(data=tmp_path, secret_key="k"), "asn") == "asn"
    assert binding.allows("none", None, None)
    assert binding.allows("asn", 64500, 64500)
    assert not binding.allows("asn", 64500, 64511)
    assert not binding.allows("asn", 64500, None)
    assert not binding.allows("asn", None, None)
    assert not binding.allows("ip", 64500, 64500)


def test_asn_lookup_reads_the_geolite2_asn_layout(tmp_path: Path, asn_db: Path) -> None:
    settings = load_settings(data=tmp_path, secret_key="k", geoip_asn_mmdb=asn_db)
    assert asn_for(settings, HOME) == 64500
    assert asn_for(settings, OTHER_NETWORK) == 64511
    assert asn_for(settings, UNLISTED) is None
    assert asn_for(settings, "::ffff:198.51.100.3") == 64500
    assert asn_for(settings, "not an address") is None
    assert asn_for(load_settings(data=tmp_path, secret_key="k"), HOME) is None  # no database configured


def test_tokens_carry_the_field_of_their_binding() -> None:
    root = token_root("secret")
    signer = Keyring(root, 3600, 600).signer(1000.0)
    fields = {
        kind: signer.sign("s1", "/t/1/", 2000, client=HOME, binding=ClientBinding(kind, 64500)).split(".")[3:-1]
        for kind in ("none", "ip", "asn")
    }
    assert fields == {"none": [], "ip": ["i" + client_tag(root, HOME)], "asn": ["a" + network_tag(root, 64500)]}
    for kind in ("ip", "asn"):
        token = signer.sign("s1", "/t/1/", 2000, client=HOME, binding=ClientBinding(kind, 64500))
        grant = signer.verify(token, "/t/1/", 1500)
        assert (grant.client, grant.network) == (
            (client_tag(root, HOME), "") if kind == "ip" else ("", network_tag(root, 64500))
        )
    bound_by_default = Keyring(root, 3600, 600, bind_clients=True).signer(1000.0)
    assert bound_by_default.sign("s1", "/t/1/", 2000, client=HOME).split(".")[3].startswith("i")  # global setting
    assert Signer.from_secret("x").sign("s1", "/t/1/", 2000, client=HOME, binding=ClientBinding("ip")).count(".") == 3


@dataclass
class Stack:
    runtime: Runtime
    app: object
    behind: Counting

    def client(self, address: str) -> TestClient:
        return TestClient(PlaylistFront(self.behind, self.app.state), client=(address, 5000))  # type: ignore[attr-defined]


@pytest.fixture
def stack(runtime: Runtime, asn_db: Path) -> Iterator[Stack]:
    runtime.settings = runtime.settings.model_copy(update={"geoip_asn_mmdb": asn_db})
    app = create_app(runtime)
    behind = Counting(app)
    with TestClient(PlaylistFront(behind, app.state)):  # runs the app's lifespan once
        yield Stack(runtime, app, behind)


def _subscribe(runtime: Runtime, account: Account, kind: str) -> None:
    with runtime.db.session() as session:
        spec = PlanSpec(name=kind, price=999, currency="EUR", trial_days=30, client_binding=kind)
        plan = create_plan(session, runtime.clock, f"plan-{kind}", spec)
        subscribe(session, runtime.clock.now(), session.get_one(User, account.id), plan)


def _start(stack: Stack, account: Account, film: int) -> tuple[str, str]:
    started = stack.client(HOME).post("/api/v1/playback", json={"title": film}, headers=account.auth)
    assert started.status_code == 201, started.text
    url = str(started.json()["url"])
    return url.replace("master.m3u8", "180p/index.m3u8"), str(started.json()["session_id"])


def _replays(runtime: Runtime, session_id: str) -> list[tuple[str, str]]:
    with runtime.db.session() as session:
        events = session.query(DeliveryEvent).filter_by(session_id=session_id, kind="replay").all()
        return [(event.client_ip, event.detail) for event in events]


def test_an_asn_bound_session_follows_its_network_and_refuses_others(stack: Stack, viewer: Account, film: int) -> None:
    _subscribe(stack.runtime, viewer, "asn")
    url, session_id = _start(stack, viewer, film)
    with stack.runtime.db.session() as session:
        row = session.get_one(PlaybackSession, session_id)
        assert (row.client_binding, row.client_asn) == ("asn", 64500)
    token = url.split("/")[2]
    assert token.split(".")[3].startswith("a")  # the network tag, no address: edges let it through
    key = url.rsplit("/", 2)[0] + "/keys/0.key"
    moved = stack.client(SAME_NETWORK)
    assert moved.get(url).status_code == 200
    assert moved.get(key).status_code == 200
    reached = stack.behind.playlists
    assert moved.get(url).status_code == 200
    assert stack.behind.playlists == reached  # the move is decided in memory, in front of the app
    thief = stack.client(OTHER_NETWORK)
    refused = thief.get(url)
    assert refused.status_code == 403
    assert b"#EXTM3U" not in refused.content
    assert thief.get(key).status_code == 403
    assert stack.client(UNLISTED).get(url).status_code == 403  # an address of no known network
    assert moved.get(url).status_code == 200  # the viewer plays on
    replays = _replays(stack.runtime, session_id)
    assert [address for address, _ in replays] == [OTHER_NETWORK, UNLISTED]  # the move is not a replay
    assert "binding asn (started in AS64500, request from AS64511); refused" in replays[0][1]


def test_an_ip_bound_session_refuses_any_other_address(stack: Stack, viewer: Account, film: int) -> None:
    _subscribe(stack.runtime, viewer, "ip")
    url, session_id = _start(stack, viewer, film)
    assert url.split("/")[2].split(".")[3] == "i" + client_tag(token_root(stack.runtime.secret), HOME)
    assert stack.client(HOME).get(url).status_code == 200
    assert stack.client(SAME_NETWORK).get(url).status_code == 403
    assert stack.client(SAME_NETWORK).get(url.rsplit("/", 2)[0] + "/keys/0.key").status_code == 403
    assert _replays(stack.runtime, session_id) == [(SAME_NETWORK, f"session started from {HOME}; binding ip; refused")]


def test_an_unbound_session_is_served_elsewhere_and_the_replay_logged(stack: Stack, viewer: Account, film: int) -> None:
    _subscribe(stack.runtime, viewer, "none")
    url, session_id = _start(stack, viewer, film)
    assert url.split("/")[2].count(".") == 3  # no binding field
    assert stack.client(OTHER_NETWORK).get(url).status_code == 200
    assert _replays(stack.runtime, session_id) == [
        (OTHER_NETWORK, f"session started from {HOME}; binding none; served")
    ]


def test_the_operator_wide_setting_overrides_a_looser_plan(stack: Stack, viewer: Account, film: int) -> None:
    _subscribe(stack.runtime, viewer, "asn")
    url, _ = _start(stack, viewer, film)
    assert stack.client(SAME_NETWORK).get(url).status_code == 200
    stack.runtime.settings = stack.runtime.settings.model_copy(update={"bind_session_ip": True})
    assert stack.client(SAME_NETWORK).get(url).status_code == 403  # running sessions too
    ip_url, session_id = _start(stack, viewer, film)
    assert ip_url.split("/")[2].split(".")[3].startswith("i")  # new sessions: bound to their address
    with stack.runtime.db.session() as session:
        assert session.get_one(PlaybackSession, session_id).client_binding == "ip"


def test_without_a_known_network_an_asn_plan_binds_to_the_address(runtime: Runtime, viewer: Account, film: int) -> None:
    _subscribe(runtime, viewer, "asn")  # no ASN database configured
    app = create_app(runtime)
    with TestClient(app, client=(HOME, 5000)) as owner:
        started = owner.post("/api/v1/playback", json={"title": film}, headers=viewer.auth).json()
        url = str(started["url"]).replace("master.m3u8", "180p/index.m3u8")
        assert url.split("/")[2].split(".")[3].startswith("i")
        assert owner.get(url).status_code == 200
        assert TestClient(app, client=(SAME_NETWORK, 5000)).get(url).status_code == 403


def test_live_channel_sessions_record_and_sign_their_binding(runtime: Runtime, viewer: Account) -> None:
    root = token_root(runtime.secret)
    signer = Keyring(root, 3600, 600).signer(runtime.clock.time())
    with runtime.db.session() as session:
        create_channel(session, runtime.settings, runtime.clock, "news", name="News", source_url="push:rtmp")
        user = session.get_one(User, viewer.id)
        for kind, tag in (("asn", "a" + network_tag(root, 64500)), ("ip", "i" + client_tag(root, HOME))):
            started = start_channel(session, runtime.clock, signer, user, "news", ttl_seconds=60, client_ip=HOME,
                                    binding=ClientBinding(kind, 64500 if kind == "asn" else None))  # fmt: skip
            assert started.url.split("/")[2].split(".")[3] == tag
            row = session.get_one(PlaybackSession, started.session_id)
            assert (row.client_binding, row.client_asn) == (kind, 64500 if kind == "asn" else None)

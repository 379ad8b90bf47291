"""``/api/v1/channels/{slug}/territories`` and ``.../blackouts``: admins write, support reads, all audited."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from airwave.channels.epg import add_programme
from airwave.channels.service import create_channel
from airwave.channels.xmltv import XProgramme
from airwave.config import Settings
from airwave.runtime import Runtime
from airwave.store.accounts import AuditEvent, Blackout
from airwave.store.channels import Channel
from tests.channels.settings import quiet_settings
from tests.web.conftest import Account, make_account

NOW = dt.datetime.fromtimestamp(1_800_000_000, dt.UTC)
BASE = "/api/v1/channels/sport"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return quiet_settings(tmp_path, database_url)


@pytest.fixture
def support(runtime: Runtime) -> Account:
    return make_account(runtime, "support@example.org", "support")


@pytest.fixture
def cup(runtime: Runtime) -> int:
    """Channel "sport" with "Cup Final" an hour from now; channel "news" with a programme of its own."""
    with runtime.db.session() as session:
        sport, news = (create_channel(session, runtime.settings, runtime.clock, slug, name=name, source_url="push:rtmp")
                       for slug, name in (("sport", "Sport One"), ("news", "News 24")))  # fmt: skip
        start = NOW + dt.timedelta(hours=1)
        add_programme(session, news, XProgramme("", start, start + dt.timedelta(hours=1), "Headlines"))
        return add_programme(session, sport, XProgramme("", start, start + dt.timedelta(hours=2), "Cup Final")).id


def _audit(runtime: Runtime) -> list[tuple[str, str, str, str]]:
    with runtime.db.session() as session:
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        return [(row.actor_email, row.action, row.target, row.detail) for row in rows]


def test_territories_are_read_by_staff_set_by_admins_and_audited(
    client: TestClient, admin: Account, support: Account, runtime: Runtime, cup: int
) -> None:
    assert client.get(f"{BASE}/territories", headers=support.auth).json() == {
        "channel": "sport", "territories": [], "everywhere": True,
    }  # fmt: skip
    saved = client.put(f"{BASE}/territories", json={"territories": ["ie", "GB", "gb"]}, headers=admin.auth)
    assert saved.status_code == 200, saved.text
    assert saved.json() == {"channel": "sport", "territories": ["GB", "IE"], "everywhere": False}
    assert client.get(f"{BASE}/territories", headers=support.auth).json()["territories"] == ["GB", "IE"]
    refused = client.put(f"{BASE}/territories", json={"territories": []}, headers=support.auth)
    assert refused.status_code == 403
    bad = client.put(f"{BASE}/territories", json={"territories": ["GB", "GBR"]}, headers=admin.auth)
    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == "'GBR' is not a country code: use two letters such as GB, DE or US"
    cleared = client.put(f"{BASE}/territories", json={"territories": []}, headers=admin.auth)
    assert cleared.json()["everywhere"] is True
    with runtime.db.session() as session:
        assert session.scalars(select(Channel.territories).where(Channel.slug == "sport")).one() == ""
    assert _audit(runtime) == [
        ("admin@example.org", "channel.territories", "channel:sport", "GB IE"),
        ("admin@example.org", "channel.territories", "channel:sport", "everywhere"),
    ]
    missing = client.get("/api/v1/channels/nope/territories", headers=admin.auth)
    assert missing.status_code == 404
    assert "no channel 'nope'" in missing.json()["error"]["message"]


def test_blackouts_by_programme_and_by_times_are_listed_lifted_and_audited(
    client: TestClient, admin: Account, support: Account, runtime: Runtime, cup: int
) -> None:
    by_programme = client.post(f"{BASE}/blackouts", json={"programme_id": cup, "territories": ["gb", "IE"]},
                               headers=admin.auth)  # fmt: skip
    assert by_programme.status_code == 201, by_programme.text
    first = by_programme.json()
    assert first["programme_id"] == cup
    assert first["note"] == "Cup Final"  # the programme's title, when no note is given
    assert (first["start"], first["stop"]) == ("2027-01-15T09:00:00Z", "2027-01-15T11:00:00Z")
    assert first["territories"] == ["GB", "IE"]
    assert first["in_force"] is False
    window = {"start": "2027-01-15T09:30:00+01:00", "stop": "2027-01-15T08:45:00Z", "territories": ["DE"],
              "note": "Test card"}  # fmt: skip
    by_times = client.post(f"{BASE}/blackouts", json=window, headers=admin.auth)
    assert by_times.status_code == 201, by_times.text
    second = by_times.json()
    assert (second["start"], second["stop"], second["in_force"]) == ("2027-01-15T08:30:00Z", "2027-01-15T08:45:00Z",
                                                                     False)  # fmt: skip
    listed = client.get(f"{BASE}/blackouts", headers=support.auth)
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["items"]] == [second["id"], first["id"]]  # earliest first
    assert client.delete(f"{BASE}/blackouts/{second['id']}", headers=support.auth).status_code == 403
    assert client.delete(f"{BASE}/blackouts/{second['id']}", headers=admin.auth).status_code == 204
    again = client.delete(f"{BASE}/blackouts/{second['id']}", headers=admin.auth)
    assert again.status_code == 404
    assert again.json()["error"]["message"] == f"Sport One has no blackout {second['id']}"
    assert [item["id"] for item in client.get(f"{BASE}/blackouts", headers=admin.auth).json()["items"]] == [first["id"]]
    assert [(action, detail) for _who, action, _target, detail in _audit(runtime)] == [
        ("channel.blackout", "Cup Final 2027-01-15 09:00-11:00 UTC in GB IE"),
        ("channel.blackout", "Test card 2027-01-15 08:30-08:45 UTC in DE"),
        ("channel.blackout_lifted", "Test card 2027-01-15 08:30-08:45 UTC in DE"),
    ]


def test_blackouts_that_are_over_are_listed_only_on_request(
    client: TestClient, admin: Account, runtime: Runtime, cup: int
) -> None:
    past = {"start": "2027-01-15T06:00:00Z", "stop": "2027-01-15T07:00:00Z", "territories": ["GB"]}
    now = {"start": "2027-01-15T07:55:00Z", "stop": "2027-01-15T08:05:00Z", "territories": ["GB"]}
    for body in (past, now):
        assert client.post(f"{BASE}/blackouts", json=body, headers=admin.auth).status_code == 201
    current = client.get(f"{BASE}/blackouts", headers=admin.auth).json()["items"]
    assert [(item["start"], item["in_force"]) for item in current] == [("2027-01-15T07:55:00Z", True)]
    everything = client.get(f"{BASE}/blackouts", params={"past": "true"}, headers=admin.auth).json()["items"]
    assert [item["start"] for item in everything] == ["2027-01-15T06:00:00Z", "2027-01-15T07:55:00Z"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"programme_id": 987654, "territories": ["GB"]}, 404, "programme 987654 is not in Sport One's guide"),
        ({"territories": ["GB"]}, 422, "give programme_id, or both start and stop"),
        ({"start": "2027-01-15T10:00:00Z", "territories": ["GB"]}, 422, "give programme_id, or both start and stop"),
        ({"programme_id": 1, "start": "2027-01-15T10:00:00Z", "stop": "2027-01-15T11:00:00Z", "territories": ["GB"]},
         422, "not both"),
        ({"start": "2027-01-15T10:00:00", "stop": "2027-01-15T11:00:00Z", "territories": ["GB"]}, 422, "timezone"),
        ({"start": "2027-01-15T11:00:00Z", "stop": "2027-01-15T10:00:00Z", "territories": ["GB"]}, 400,
         "a blackout must end after it starts"),
        ({"start": "2027-01-15T10:00:00Z", "stop": "2027-01-15T11:00:00Z", "territories": []}, 422, "territories"),
        ({"start": "2027-01-15T10:00:00Z", "stop": "2027-01-15T11:00:00Z", "territories": ["UK1"]}, 400,
         "'UK1' is not a country code"),
    ],
)  # fmt: skip
def test_refused_blackouts_say_why_and_change_nothing(
    client: TestClient, admin: Account, runtime: Runtime, cup: int, body: dict[str, object], status: int, message: str
) -> None:
    response = client.post(f"{BASE}/blackouts", json=body, headers=admin.auth)
    assert response.status_code == status, response.text
    assert message in response.json()["error"]["message"]
    with runtime.db.session() as session:
        assert session.scalars(select(Blackout)).all() == []
    assert _audit(runtime) == []


def test_a_programme_of_another_channel_is_refused(
    client: TestClient, admin: Account, runtime: Runtime, cup: int
) -> None:
    other = client.post("/api/v1/channels/news/blackouts", json={"programme_id": cup, "territories": ["GB"]},
                        headers=admin.auth)  # fmt: skip
    assert other.status_code == 404
    assert other.json()["error"]["message"].startswith(f"programme {cup} is not in News 24's guide")


def test_subscribers_never_reach_channel_rights(client: TestClient, viewer: Account, cup: int) -> None:
    for method, path in (("GET", "territories"), ("PUT", "territories"), ("GET", "blackouts"),
                         ("POST", "blackouts"), ("DELETE", "blackouts/1")):  # fmt: skip
        response = client.request(method, f"{BASE}/{path}", headers=viewer.auth, json={"territories": ["GB"]})
        assert response.status_code == 403, (method, path)


def test_openapi_describes_the_rights_routes_with_examples(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert set(paths["/api/v1/channels/{slug}/territories"]) == {"get", "put"}
    assert set(paths["/api/v1/channels/{slug}/blackouts"]) == {"get", "post"}
    assert set(paths["/api/v1/channels/{slug}/blackouts/{blackout_id}"]) == {"delete"}
    post = paths["/api/v1/channels/{slug}/blackouts"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/BlackoutIn")
    assert post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/BlackoutOut")
    assert {"400", "403", "404", "422"} <= set(post["responses"])
    components = schema["components"]["schemas"]
    examples = components["BlackoutIn"]["examples"]
    assert {"programme_id", "territories"} <= set(examples[0])
    assert {"start", "stop"} <= set(examples[1])
    assert components["TerritoriesIn"]["examples"][0] == {"territories": ["GB", "IE"]}
    assert components["BlackoutOut"]["properties"]["in_force"]["type"] == "boolean"
    put = paths["/api/v1/channels/{slug}/territories"]["put"]
    assert put["security"] == [{"HTTPBearer": []}]

"""The admin page of a channel's rights: territories and programme blackouts, with CSRF and the audit log."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from airwave.accounts import rights
from airwave.channels.epg import add_programme
from airwave.channels.iptv import current_token
from airwave.channels.service import create_channel
from airwave.channels.xmltv import XProgramme
from airwave.config import Settings
from airwave.runtime import Runtime
from airwave.store.accounts import AuditEvent, Blackout
from airwave.store.channels import Channel
from airwave.store.epg import Programme
from airwave.store.tables import User
from airwave.web.app import create_app
from tests.channels.settings import quiet_settings
from tests.web.conftest import Account
from tests.web.test_pages import hidden_token, sign_in

NOW = dt.datetime.fromtimestamp(1_800_000_000, dt.UTC)
PAGE = "/admin/channels/sport/rights"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    geo = tmp_path / "geo.csv"
    geo.write_text("network,country\n10.0.0.0/8,GB\n192.0.2.0/24,DE\n")
    return quiet_settings(tmp_path, database_url).model_copy(update={"geoip_csv": geo})


@pytest.fixture
def cup(runtime: Runtime) -> int:
    """A channel "sport" with one programme, "Cup Final", starting in an hour."""
    with runtime.db.session() as session:
        channel = create_channel(session, runtime.settings, runtime.clock, "sport", name="Sport One",
                                 source_url="push:rtmp", number=2)  # fmt: skip
        start = NOW + dt.timedelta(hours=1)
        return add_programme(session, channel, XProgramme("", start, start + dt.timedelta(hours=2), "Cup Final")).id


def test_admins_set_territories_and_black_out_a_programme_and_all_is_audited(
    client: TestClient, admin: Account, runtime: Runtime, cup: int
) -> None:
    sign_in(client, admin.email)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "Cup Final" in page.text
    assert "No blackouts" in page.text
    token = hidden_token(page.text)
    saved = client.post("/admin/channels/sport/territories", data={"territories": "gb, ie", "csrf_token": token})
    assert saved.status_code == 200
    assert "may now be watched only in GB IE" in saved.text
    bad = client.post("/admin/channels/sport/territories", data={"territories": "England", "csrf_token": token})
    assert bad.status_code == 400
    assert "is not a country code" in bad.text
    added = client.post("/admin/channels/sport/blackouts",
                        data={"programme_id": str(cup), "territories": "GB", "csrf_token": token})  # fmt: skip
    assert added.status_code == 200
    assert "Blacked out Cup Final in GB." in added.text
    with runtime.db.session() as session:
        channel = session.scalars(select(Channel).where(Channel.slug == "sport")).one()
        assert channel.territories == "GB IE"
        rule = session.scalars(select(Blackout)).one()
        assert (rule.programme_id, rule.territories, rule.start) == (cup, "GB", NOW + dt.timedelta(hours=1))
        rule_id = rule.id
    lifted = client.post(f"/admin/channels/sport/blackouts/{rule_id}/delete", data={"csrf_token": token})
    assert lifted.status_code == 200
    assert "Lifted the blackout of Cup Final." in lifted.text
    with runtime.db.session() as session:
        assert session.scalars(select(Blackout)).all() == []
        actions = [
            (e.action, e.target, e.actor_email) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]
    assert actions == [
        ("channel.territories", "channel:sport", admin.email),
        ("channel.blackout", "channel:sport", admin.email),
        ("channel.blackout_lifted", "channel:sport", admin.email),
    ]


def test_changes_need_the_csrf_token_and_a_programme_of_this_channel(
    client: TestClient, admin: Account, runtime: Runtime, cup: int
) -> None:
    sign_in(client, admin.email)
    token = hidden_token(client.get(PAGE).text)
    forged = client.post("/admin/channels/sport/territories", data={"territories": "GB"})
    assert forged.status_code == 403
    unknown = client.post("/admin/channels/sport/blackouts",
                          data={"programme_id": str(cup + 99), "territories": "GB", "csrf_token": token})  # fmt: skip
    assert unknown.status_code == 400
    assert "not in Sport One" in unknown.text
    nowhere = client.post("/admin/channels/sport/blackouts",
                          data={"programme_id": str(cup), "territories": "", "csrf_token": token})  # fmt: skip
    assert nowhere.status_code == 400
    assert "name the territories" in nowhere.text
    with runtime.db.session() as session:
        assert session.scalars(select(Blackout)).all() == []
        assert session.scalars(select(Channel.territories)).one() == ""


def test_the_guide_and_the_m3u_say_where_a_programme_is_blacked_out(
    runtime: Runtime, viewer: Account, cup: int
) -> None:
    with runtime.db.session() as session:
        channel = session.scalars(select(Channel).where(Channel.slug == "sport")).one()
        cup_final = session.get(Programme, cup)
        rights.blackout_programme(session, channel, cup_final, "GB")
        now_on = add_programme(
            session, channel, XProgramme("", NOW - dt.timedelta(minutes=30), NOW + dt.timedelta(minutes=30), "Warm-up")
        )
        rights.blackout_programme(session, channel, now_on, "GB")
        user = session.get(User, viewer.id)
        assert user is not None
        token = current_token(session, user, runtime.clock)
    seen = {}
    for place, address in (("GB", "10.2.3.4"), ("DE", "192.0.2.7")):
        with TestClient(create_app(runtime), client=(address, 50000)) as client:
            sign_in(client, viewer.email)
            guide = client.get("/guide").text
            m3u = client.get(f"/iptv/{token}/playlist.m3u").text
        seen[place] = (guide.count("data-blackout"), "Sport One (Blacked out in your area until 08:30 UTC)" in m3u)
    assert seen == {"GB": (2, True), "DE": (0, False)}

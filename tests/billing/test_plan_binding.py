"""A plan's client binding, set through the API, the admin form and ``airwave plan add|edit``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from airwave.billing.plans import client_binding_of, get_plan
from airwave.billing.subscriptions import cancel, subscribe
from airwave.cli.main import cli, register_commands
from airwave.errors import BadRequest
from airwave.runtime import Runtime
from airwave.store.tables import User
from tests.billing.conftest import add_plan, add_user
from tests.web.conftest import Account, client

register_commands()
__all__ = ["client"]  # the fixture

PLAN = {"slug": "mobile", "name": "Mobile", "price": "4.99", "currency": "EUR"}


def test_the_plan_api_sets_and_shows_the_binding(client: TestClient, admin: Account) -> None:
    created = client.post("/api/v1/billing/plans", json={**PLAN, "client_binding": "asn"}, headers=admin.auth)
    assert created.status_code == 201, created.text
    assert created.json()["client_binding"] == "asn"
    terms = {key: value for key, value in PLAN.items() if key != "slug"}
    changed = client.put("/api/v1/billing/plans/mobile", json={**terms, "client_binding": "ip"}, headers=admin.auth)
    assert changed.status_code == 200, changed.text
    assert changed.json()["client_binding"] == "ip"
    listed = client.get("/api/v1/billing/plans", headers=admin.auth).json()
    assert [(p["slug"], p["client_binding"]) for p in listed] == [("mobile", "ip")]
    bad = client.post("/api/v1/billing/plans", json={**PLAN, "slug": "x", "client_binding": "mac"}, headers=admin.auth)
    assert bad.status_code == 422
    assert "client_binding" in bad.text
    default = client.post("/api/v1/billing/plans", json={**PLAN, "slug": "basic"}, headers=admin.auth)
    assert default.json()["client_binding"] == "none"


def test_the_admin_form_sets_the_binding(client: TestClient, admin: Account, runtime: Runtime) -> None:
    page = client.get("/admin/plans", headers=admin.auth).text
    assert 'name="client_binding"' in page
    made = client.post(
        "/admin/plans", headers=admin.auth, follow_redirects=False,
        data={"slug": "mobile", "name": "Mobile", "price": "4.99", "currency": "EUR", "interval": "month",
              "trial_days": "0", "streams": "1", "devices": "2", "client_binding": "asn"},
    )  # fmt: skip
    assert made.status_code == 303
    with runtime.db.session() as session:
        assert get_plan(session, "mobile").client_binding == "asn"
    assert "Network (ASN): refuse other networks</td>" in client.get("/admin/plans", headers=admin.auth).text
    bad = client.post("/admin/plans", headers=admin.auth,
                      data={"slug": "x", "name": "X", "price": "1.00", "client_binding": "mac"})  # fmt: skip
    assert bad.status_code == 400
    assert "unknown client binding" in bad.text


def test_the_binding_comes_from_the_live_subscription(runtime: Runtime) -> None:
    user = add_user(runtime)
    add_plan(runtime, "mobile", trial_days=14, client_binding="asn")
    with runtime.db.session() as session:
        assert client_binding_of(session, user.id) == "none"  # no subscription
        sub = subscribe(session, runtime.clock.now(), session.get_one(User, user.id), get_plan(session, "mobile"))
        assert client_binding_of(session, user.id) == "asn"
        cancel(session, sub, runtime.clock.now(), immediately=True)
        assert client_binding_of(session, user.id) == "none"  # lapsed: nothing to watch, nothing bound
    with pytest.raises(BadRequest, match="use none, ip or asn"):
        add_plan(runtime, "odd", client_binding="cookie")


def test_plan_add_and_edit_set_the_binding_from_the_command_line(tmp_path: Path) -> None:
    data = ["--data", str(tmp_path / "var")]
    runner = CliRunner()
    added = runner.invoke(cli, [*data, "plan", "add", "mobile", "--name", "Mobile", "--price", "4.99",
                                "--client-binding", "asn"])  # fmt: skip
    assert added.exit_code == 0, added.output
    edited = runner.invoke(cli, [*data, "plan", "edit", "mobile", "--client-binding", "ip", "--streams", "3"])
    assert edited.exit_code == 0, edited.output
    assert "client_binding" in edited.output
    listed = json.loads(runner.invoke(cli, [*data, "plan", "list", "--json"]).output)
    assert [(row["slug"], row["client_binding"], row["streams"], row["price"]) for row in listed] == [
        ("mobile", "ip", 3, 499)
    ]
    refused = runner.invoke(cli, [*data, "plan", "edit", "mobile", "--client-binding", "mac"])
    assert refused.exit_code == 2
    assert "'mac' is not one of 'none', 'ip', 'asn'" in refused.output
    nothing = runner.invoke(cli, [*data, "plan", "edit", "mobile"])
    assert nothing.exit_code == 2
    assert "nothing to change" in nothing.output

"""Admin changes to what subscribers pay for and watch are in the audit log, from the API and the admin pages."""

from __future__ import annotations

from fastapi.testclient import TestClient

from airwave.accounts import audit
from airwave.catalog.titles import create_title
from airwave.channels.service import create_channel
from airwave.runtime import Runtime
from tests.web.conftest import Account

PLAN = {"slug": "basic", "name": "Basic", "price": "9.99", "currency": "EUR", "max_streams": 1}
VOUCHER = {"kind": "percent", "value": 100, "code": "FREE"}
FAMILY = {"slug": "family", "name": "Family", "price": "14.99", "currency": "EUR", "streams": "4", "devices": "8"}
PACKAGE = {"slug": "sports", "name": "Sports", "channels": ["sport"], "addon": True, "price": "4.99"}


def test_billing_channel_and_title_changes_are_audited(client: TestClient, admin: Account, runtime: Runtime) -> None:
    with runtime.db.session() as session:
        for slug in ("sport", "news"):
            create_channel(session, runtime.settings, runtime.clock, slug, name=slug.title(), source_url="push:rtmp")
        films = [create_title(session, runtime.clock, name=name).id for name in ("Night Train", "Day Boat")]
    api, page = "/api/v1", {"headers": admin.auth, "follow_redirects": False}
    responses = [
        client.post(f"{api}/billing/plans", json=PLAN, headers=admin.auth),
        client.put(f"{api}/billing/plans/basic", json=_terms(PLAN, price="10.99"), headers=admin.auth),
        client.delete(f"{api}/billing/plans/basic", headers=admin.auth),
        client.post(f"{api}/billing/packages", json=PACKAGE, headers=admin.auth),
        client.put(f"{api}/billing/packages/sports", json=_terms(PACKAGE, channels=[]), headers=admin.auth),
        client.delete(f"{api}/billing/packages/sports", headers=admin.auth),
        client.post(f"{api}/billing/vouchers", json=VOUCHER, headers=admin.auth),
        client.delete(f"{api}/billing/vouchers/FREE", headers=admin.auth),
        client.post(f"{api}/channels/sport/key", headers=admin.auth),
        client.delete(f"{api}/channels/sport", headers=admin.auth),
        client.delete(f"{api}/titles/{films[0]}", headers=admin.auth),
        client.post("/admin/plans", **page, data=FAMILY),
        client.post("/admin/packages", **page, data={"slug": "news", "name": "News", "channels": ["news"]}),
        client.post("/admin/vouchers", **page, data={"kind": "percent", "value": "20", "code": "FIFTH"}),
        client.post("/admin/channels/news/key", **page),
        client.post("/admin/channels/news/delete", **page),
        client.post(f"/admin/titles/{films[1]}/delete", **page),
    ]
    assert [r.status_code for r in responses] == [201, 200, 204, 201, 200, 204, 201, 204, 200, 204, 204] + [303] * 6
    with runtime.db.session() as session:
        events = list(reversed(audit.events(session)))
    assert {(e.actor_email, e.client_ip) for e in events} == {(admin.email, "testclient")}
    assert [(e.action, e.target) for e in events] == [
        ("plan.create", "plan:basic"), ("plan.edit", "plan:basic"), ("plan.delete", "plan:basic"),
        ("package.create", "package:sports"), ("package.edit", "package:sports"),
        ("package.delete", "package:sports"),
        ("voucher.create", "voucher:FREE"), ("voucher.delete", "voucher:FREE"),
        ("channel.key", "channel:sport"), ("channel.delete", "channel:sport"), ("title.delete", f"title:{films[0]}"),
        ("plan.create", "plan:family"), ("package.create", "package:news"), ("voucher.create", "voucher:FIFTH"),
        ("channel.key", "channel:news"), ("channel.delete", "channel:news"), ("title.delete", f"title:{films[1]}"),
    ]  # fmt: skip
    details = {(e.action, e.target): e.detail for e in events}
    assert details["plan.edit", "plan:basic"].startswith("Basic: €10.99 a month, 1 streams")
    assert details["package.edit", "package:sports"] == (
        "Sports: add-on at €4.99 a month; channels none; 0 titles; genres none"
    )
    assert details["voucher.create", "voucher:FREE"] == "100 % off the next invoice, unlimited uses"
    assert details["title.delete", f"title:{films[1]}"] == "film 'Day Boat'"


def _terms(created: dict[str, object], **changes: object) -> dict[str, object]:
    """The body of a PUT: what was created, changed, without the slug (it is in the path)."""
    return {key: value for key, value in {**created, **changes}.items() if key != "slug"}

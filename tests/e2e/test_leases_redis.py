"""One stream limit held across two origin processes sharing a database and a real Redis."""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
import pytest
import redis

from tests.e2e.delivery_stack import origin, prepare
from tests.services import require_redis
from tests.web.conftest import sample

pytestmark = pytest.mark.e2e
__all__ = ["sample"]  # the fixture


def _start(base: str, token: str, device: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "User-Agent": device}
    return httpx.post(f"{base}/api/v1/playback", json={"title": 1}, headers=headers, timeout=30)


def test_stream_limit_holds_across_two_origins(tmp_path: Path, sample: Path) -> None:
    url = require_redis()
    prefix = f"airwave-e2e-{secrets.token_hex(4)}:"
    data = tmp_path / "var"
    _, (token,) = prepare(data, sample)
    env = {"AIRWAVE_REDIS_URL": url, "AIRWAVE_REDIS_KEY_PREFIX": prefix, "AIRWAVE_MAX_STREAMS": "1"}
    client = redis.Redis.from_url(url)
    try:
        with origin(data, env) as one, origin(data, env) as two:
            first = _start(one, token, "Living room TV")
            assert first.status_code == 201, first.text
            refused = _start(two, token, "Phone")
            assert refused.status_code == 429
            sessions = refused.json()["error"]["sessions"]
            assert [(s["session_id"], s["device"]) for s in sessions] == [
                (first.json()["session_id"], "Living room TV")
            ]
            assert client.zcard(f"{prefix}leases:1") == 1
            headers = {"Authorization": f"Bearer {token}"}
            ended = httpx.delete(f"{two}/api/v1/playback/{first.json()['session_id']}", headers=headers)
            assert ended.status_code == 204
            assert _start(two, token, "Phone").status_code == 201
            assert _start(one, token, "Laptop").status_code == 429
            # The ended session's playlist is refused by the origin that started it, too.
            assert httpx.get(f"{one}{first.json()['url']}").status_code == 403
    finally:
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)
        client.close()

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import create_engine

import airwave
from airwave.runtime import Runtime
from tests.web.conftest import Account


def test_healthz_reports_database_ffmpeg_and_disk(client: TestClient) -> None:
    answer = client.get("/healthz")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ok"
    assert body["version"] == airwave.__version__
    assert body["database"]["ok"] is True
    assert body["ffmpeg"]["ok"] is True
    assert body["disk"]["free_bytes"] > 0


def test_healthz_is_503_when_the_database_is_unreachable(client: TestClient, runtime: Runtime) -> None:
    working = runtime.db.engine
    runtime.db.engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    try:
        answer = client.get("/healthz")
    finally:
        runtime.db.engine.dispose()
        runtime.db.engine = working
    assert answer.status_code == 503
    assert answer.json()["database"]["ok"] is False
    assert answer.json()["status"] == "degraded"


def test_metrics_count_requests_by_route_template(client: TestClient, viewer: Account, film: int) -> None:
    started = client.post("/api/v1/playback", json={"title": film}, headers=viewer.auth).json()
    client.get(started["url"])
    client.get(f"/api/v1/titles/{film}", headers=viewer.auth)
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    assert 'airwave_http_requests_total{method="GET",route="/api/v1/titles/{title_id}",status="200"} 1.0' in text
    assert 'route="/p/{token}/t/{title_id}/{path}",status="200"' in text
    assert started["session_id"] not in text, "no raw paths or tokens in labels"
    assert "airwave_http_request_duration_seconds_bucket" in text
    assert "airwave_playback_sessions_started_total 1.0" in text
    assert 'airwave_titles{kind="film"} 1.0' in text
    assert f'airwave_build_info{{version="{airwave.__version__}"}} 1.0' in text


def test_openapi_lists_every_api_route_with_models_and_bearer_auth(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operations = {(method.upper(), path) for path, item in schema["paths"].items() for method in item}
    assert operations >= {
        ("POST", "/api/v1/auth/login"),
        ("POST", "/api/v1/auth/logout"),
        ("GET", "/api/v1/titles"),
        ("POST", "/api/v1/titles"),
        ("GET", "/api/v1/titles/{title_id}"),
        ("PATCH", "/api/v1/titles/{title_id}"),
        ("DELETE", "/api/v1/titles/{title_id}"),
        ("GET", "/api/v1/jobs"),
        ("GET", "/api/v1/jobs/{job_id}"),
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/progress/{title_id}"),
        ("PUT", "/api/v1/progress/{title_id}"),
        ("POST", "/api/v1/playback"),
        ("DELETE", "/api/v1/playback/{session_id}"),
    }
    assert all(path.startswith("/api/v1/") for _method, path in operations), "pages and media stay out"
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    playback = schema["paths"]["/api/v1/playback"]["post"]
    assert playback["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/PlaybackOut")
    assert playback["security"] == [{"HTTPBearer": []}]
    assert "TitleDetail" in schema["components"]["schemas"]
    assert "seasons" in schema["components"]["schemas"]["TitleDetail"]["properties"]

"""Finding the system services and tools tests need; skip politely on a laptop, fail under CI."""

from __future__ import annotations

import os
import shutil
import socket

import pytest

POSTGRES_URL = os.environ.get("AIRWAVE_TEST_POSTGRES", "postgresql+psycopg://root@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("AIRWAVE_TEST_REDIS", "redis://127.0.0.1:6379/0")
CHROMIUM = os.environ.get("AIRWAVE_TEST_CHROMIUM", "/usr/bin/chromium")

HOW_TO_INSTALL = {
    "postgres": "install and start PostgreSQL (apt-get install postgresql) with trust auth on 127.0.0.1:5432, "
    "or point AIRWAVE_TEST_POSTGRES at a server",
    "redis": "install and start Redis (apt-get install redis-server), or point AIRWAVE_TEST_REDIS at one",
    "nginx": "install nginx (apt-get install nginx)",
    "nginx-lua": "install nginx's Lua module, which Airwave edges check tokens with "
    "(apt-get install libnginx-mod-http-lua)",
    "chromium": "install Chromium (apt-get install chromium), or point AIRWAVE_TEST_CHROMIUM at a build",
}


def missing(service: str, detail: str) -> None:
    """Skip the test with install advice; under CI a missing service is a failure instead."""
    message = f"{service} unavailable ({detail}): {HOW_TO_INSTALL[service]}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_postgres() -> str:
    if not port_open("127.0.0.1", 5432) and "127.0.0.1:5432" in POSTGRES_URL:
        missing("postgres", "nothing listens on 127.0.0.1:5432")
    return POSTGRES_URL


def require_nginx() -> str:
    path = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if path is None:
        missing("nginx", "no nginx binary on PATH or in /usr/sbin")
    return str(path)


def require_edge_nginx() -> str:
    """nginx with the modules an ``airwave edge-config`` configuration loads."""
    nginx = require_nginx()
    from airwave.delivery.edge_config import MODULES

    for module in ("ndk_http_module.so", "ngx_http_lua_module.so"):
        if not os.path.exists(os.path.join(MODULES, module)):
            missing("nginx-lua", f"{MODULES}/{module} does not exist")
    return nginx


def require_chromium() -> str:
    if not os.path.exists(CHROMIUM):
        missing("chromium", f"{CHROMIUM} does not exist")
    return CHROMIUM


def require_redis() -> str:
    """The test Redis URL, after checking something answers PING there."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=1, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        missing("redis", str(exc))
    return REDIS_URL

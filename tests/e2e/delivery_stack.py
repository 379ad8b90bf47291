"""Real origins (`airwave serve`) and real nginx edges on loopback, for the edge and lease tests."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from airwave.accounts.logins import issue_login
from airwave.accounts.users import create_user
from airwave.config import load_settings
from airwave.runtime import open_runtime
from airwave.store.tables import Title
from tests.e2e.portal import free_port
from tests.web.sample import RENDITION, publish

SECRET = "edge-test-secret"


def prepare(
    data: Path, sample: Path, emails: tuple[str, ...] = ("viewer@example.org",), *, marked: bool = False
) -> tuple[int, list[str]]:
    """Publish the sample title and create subscribers in ``data``; returns the title id and bearer tokens.

    ``marked``: the title is watermarked, each segment of its rendition existing as an A and a B copy (here
    the B copy differs from A in its last byte: what matters to delivery is which bytes a session receives).
    """
    runtime = open_runtime(load_settings(data=data, secret_key=SECRET))
    try:
        title = publish(runtime, sample, name="Edge Film")
        if marked:
            with runtime.db.session() as session:
                session.get_one(Title, title).watermark = True
            make_variants(runtime.settings.media_dir / f"title-{title}" / RENDITION)
        tokens = []
        with runtime.db.session() as session:
            for email in emails:
                user = create_user(session, runtime.clock, email=email, password="password123", role="subscriber")
                tokens.append(issue_login(session, runtime.clock, user, kind="bearer", ttl=dt.timedelta(days=1)))
        return title, tokens
    finally:
        runtime.close()


def make_variants(rendition: Path) -> None:
    """Give every segment of ``rendition`` distinct ``a/`` and ``b/`` copies, as marking does."""
    for variant in ("a", "b"):
        (rendition / variant).mkdir()
    for segment in sorted(rendition.glob("seg_*.m4s")):
        body = segment.read_bytes()
        (rendition / "a" / segment.name).write_bytes(body)
        (rendition / "b" / segment.name).write_bytes(body[:-1] + bytes([body[-1] ^ 0xFF]))


def airwave_env(data: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRWAVE_")}
    return {**env, "AIRWAVE_DATA": str(data), "AIRWAVE_SECRET_KEY": SECRET, **(extra or {})}


def airwave(data: Path, *args: str, env: dict[str, str] | None = None) -> str:
    argv = [sys.executable, "-m", "airwave", *args]
    done = subprocess.run(argv, env=airwave_env(data, env), capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise AssertionError(f"airwave {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout


@contextmanager
def origin(data: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """``airwave serve`` on a free port until the block ends; yields its base URL."""
    port = free_port()
    argv = [sys.executable, "-m", "airwave", "serve", "--port", str(port)]
    server = subprocess.Popen(argv, env=airwave_env(data, env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(f"{base}/healthz"), 60, f"origin {base}")
        yield base
    finally:
        stop(server)


@contextmanager
def edge(
    data: Path, origin_url: str, folder: Path, name: str, *options: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """An nginx edge configured by ``airwave edge-config`` (plus ``options``); yields its base URL and process."""
    from tests.services import require_edge_nginx

    nginx = require_edge_nginx()
    port = free_port()
    conf = airwave(data, "edge-config", "--origin", origin_url, "--listen", f"127.0.0.1:{port}",
                   "--cache-dir", str(folder), "--name", name, *options)  # fmt: skip
    path = folder / "nginx.conf"
    path.write_text(conf)
    globals_ = "daemon off; user root;" if os.geteuid() == 0 else "daemon off;"
    process = subprocess.Popen([nginx, "-c", str(path), "-g", globals_], stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(f"{base}/healthz"), 20, f"edge {name}")
        yield base, process
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def wait_for(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.05)  # polling interval, bounded by the deadline
    raise AssertionError(f"{what}: not ready within {seconds} s")


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def metric(base: str, name: str, **labels: str) -> float | None:
    """One sample of the origin's ``/metrics`` (None when absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in httpx.get(f"{base}/metrics", timeout=5).text.splitlines():
        if line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        metric_name, _, rest = series.partition("{")
        if metric_name == name and sorted(rest.rstrip("}").split(",")) == sorted(wanted.split(",")):
            return float(value)
    return None

"""A real Airwave for browser tests and the first-frame benchmark: ingested by the CLI, served by `airwave serve`.

Everything goes through the commands an operator runs: ``airwave ingest`` encodes a tiny clip made by ffmpeg,
``airwave user add`` creates the accounts, ``airwave serve`` runs on a free loopback port.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from airwave.config import load_settings
from airwave.media.ffmpeg import find_ffmpeg

PASSWORD = "password123"
VIEWER = "viewer@example.org"
ADMIN = "admin@example.org"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
# A two-rung ladder of tiny renditions keeps ingest to a few seconds on two cores.
SERVER_ENV = {"AIRWAVE_LADDER": "180,120", "AIRWAVE_X264_PRESET": "ultrafast", "AIRWAVE_SEGMENT_SECONDS": "2"}
CLIP_SECONDS = 12


@dataclass
class Portal:
    """A running server: its base URL, data folder and the ids of the titles ingested into it."""

    base: str
    data: Path
    titles: dict[str, int] = field(default_factory=dict)


def make_clip(path: Path, seconds: int = CLIP_SECONDS, size: str = "320x180") -> Path:
    """A test pattern with a tone, made once."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg = find_ffmpeg(load_settings())
    argv = [
        ffmpeg, "-nostdin", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
        str(path.with_suffix(".tmp.mp4")),
    ]  # fmt: skip
    subprocess.run(argv, check=True, timeout=120)
    path.with_suffix(".tmp.mp4").rename(path)
    return path


def airwave(data: Path, *args: str, timeout: float = 180, env: dict[str, str] | None = None) -> str:
    """Run an ``airwave`` command on ``data`` (``env``: extra AIRWAVE_* settings) and return its output."""
    argv = [sys.executable, "-m", "airwave", "--data", str(data), *args]
    done = subprocess.run(argv, env=_env(env), capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise AssertionError(f"airwave {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def ingest(data: Path, clip: Path, name: str, *extra: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Ingest ``clip`` as a title called ``name``; returns the new title as ``airwave ingest --json`` prints it."""
    output = airwave(data, "ingest", str(clip), "--title", name, "--json", *extra, timeout=600, env=env)
    title: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return title


def add_users(data: Path) -> None:
    airwave(data, "user", "add", VIEWER, "--password", PASSWORD, "--name", "Sam")
    airwave(data, "user", "add", ADMIN, "--password", PASSWORD, "--admin", "--name", "Alex")


@contextmanager
def serve(data: Path) -> Iterator[str]:
    """Run ``airwave serve`` on a free port until the block ends; yields the base URL."""
    port = free_port()
    argv = [sys.executable, "-m", "airwave", "serve", "--port", str(port), "--data", str(data)]
    server = subprocess.Popen(argv, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, server, time.monotonic() + 30)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        assert server.stderr is not None
        server.stderr.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_up(base: str, server: subprocess.Popen[bytes], deadline: float) -> None:
    """Poll ``/healthz`` until the server answers; fail with its stderr if it exits first."""
    while time.monotonic() < deadline:
        if server.poll() is not None:
            assert server.stderr is not None
            raise AssertionError(f"airwave serve exited with {server.returncode}: {server.stderr.read()[-2000:]!r}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)  # polling interval, bounded by the deadline
    raise AssertionError("airwave serve did not answer /healthz within 30 s")


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRWAVE_")}
    return {**env, **SERVER_ENV, **(extra or {})}

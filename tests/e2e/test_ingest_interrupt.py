"""An ingest stopped midway (cancelled, ffmpeg killed, Ctrl-C, or kill -9 of the CLI) publishes nothing and
leaves no ffmpeg running; running it again completes cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from airwave.catalog.ingest import run_job
from airwave.catalog.jobs import submit
from airwave.errors import IngestCancelled, MediaError
from airwave.runtime import Runtime
from airwave.store.tables import IngestJob, Title
from tests.media.clips import make_clip, sqlite_runtime, tree

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "film.mp4", size="640x360", seconds=4)


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    with sqlite_runtime(tmp_path) as rt:
        yield rt


def queue(runtime: Runtime, source: Path) -> int:
    with runtime.db.session() as session:
        return submit(session, runtime.clock, source=source, name="Film", options={}).id


def nothing_published(runtime: Runtime) -> bool:
    with runtime.db.session() as session:
        titles = session.scalar(select(func.count()).select_from(Title))
    return titles == 0 and tree(runtime.settings.media_dir) == [] and tree(runtime.settings.staging_dir) == []


def ffmpeg_children(parent: int) -> list[int]:
    """Running ffmpeg encodes (started with -progress) whose parent is ``parent``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            name, rest = stat.split("(", 1)[1].rsplit(")", 1)
            fields = rest.split()
            if "ffmpeg" in name and int(fields[1]) == parent and fields[0] not in {"Z", "X"} and _encoding(entry):
                found.append(int(entry))
    return found


def _encoding(pid: str) -> bool:
    # Not `ffmpeg -version`, which imageio-ffmpeg runs to check the binary.
    try:
        return b"-progress" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def poll(condition: object, deadline: float = 30.0) -> None:
    end = time.monotonic() + deadline
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def test_cancelled_job_publishes_nothing_and_a_rerun_succeeds(runtime: Runtime, clip: Path) -> None:
    import threading

    cancel = threading.Event()
    job_id = queue(runtime, clip)
    with pytest.raises(IngestCancelled):
        run_job(runtime, job_id, on_progress=lambda fraction, _m: cancel.set() if fraction > 0.02 else None,
                cancel=cancel)  # fmt: skip
    assert nothing_published(runtime)
    assert ffmpeg_children(os.getpid()) == []
    with runtime.db.session() as session:
        assert session.get_one(IngestJob, job_id).state == "interrupted"
    assert run_job(runtime, queue(runtime, clip)).media_path


def test_killed_ffmpeg_fails_the_job_and_publishes_nothing(runtime: Runtime, clip: Path) -> None:
    killed = threading.Event()

    def kill_ffmpeg() -> None:  # as soon as the encode runs: a short clip may finish between progress reports
        deadline = time.monotonic() + 60
        while not killed.is_set() and time.monotonic() < deadline:
            for pid in ffmpeg_children(os.getpid()):
                os.kill(pid, signal.SIGKILL)
                killed.set()
            time.sleep(0.005)

    job_id = queue(runtime, clip)
    killer = threading.Thread(target=kill_ffmpeg, daemon=True)
    killer.start()
    with pytest.raises(MediaError, match=r"film\.mp4.*stopped by SIGKILL"):
        run_job(runtime, job_id)
    killer.join(5)
    assert killed.is_set()
    assert nothing_published(runtime)
    with runtime.db.session() as session:
        assert session.get_one(IngestJob, job_id).state == "failed"
    assert run_job(runtime, queue(runtime, clip)).media_path


def start_cli(data: Path, clip: Path, preset: str) -> subprocess.Popen[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRWAVE_")}
    env |= {"AIRWAVE_LADDER": "360,180", "AIRWAVE_X264_PRESET": preset, "AIRWAVE_SEGMENT_SECONDS": "1"}
    argv = [sys.executable, "-m", "airwave", "--data", str(data), "ingest", str(clip), "--title", "Film", "--json"]
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_encoding(process: subprocess.Popen[str]) -> int:
    """Wait until the CLI runs ffmpeg; return ffmpeg's pid."""
    children: list[int] = []

    def running() -> bool:
        assert process.poll() is None, process.communicate()
        children[:] = ffmpeg_children(process.pid)
        return bool(children)

    poll(running)
    return children[0]


def catalogue(data: Path) -> tuple[int, list[str], list[str]]:
    engine = create_engine(f"sqlite:///{data / 'airwave.db'}")
    with engine.connect() as connection:
        titles = connection.execute(text("SELECT count(*) FROM titles")).scalar_one()
    engine.dispose()
    return titles, tree(data / "media"), tree(data / "staging")


def test_ctrl_c_in_the_cli_publishes_nothing_and_exits_130(tmp_path: Path, clip: Path) -> None:
    data = tmp_path / "var"
    cli = start_cli(data, clip, "veryslow")
    ffmpeg = wait_for_encoding(cli)
    cli.send_signal(signal.SIGINT)
    out, err = cli.communicate(timeout=30)
    assert cli.returncode == 130, err
    assert "interrupted, nothing was published; run the same command again" in err
    assert out == ""
    poll(lambda: not Path(f"/proc/{ffmpeg}").exists() or ffmpeg not in ffmpeg_children(cli.pid))
    assert catalogue(data) == (0, [], [])


def test_kill_9_of_the_cli_is_recovered_by_the_next_run(tmp_path: Path, clip: Path) -> None:
    data = tmp_path / "var"
    cli = start_cli(data, clip, "veryslow")
    wait_for_encoding(cli)
    cli.send_signal(signal.SIGKILL)
    _out, err = cli.communicate(timeout=30)
    titles, media, staging = catalogue(data)
    assert (titles, media) == (0, [])
    assert staging, err  # the dead run's work is still there...

    rerun = start_cli(data, clip, "ultrafast")
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    title_id = json.loads(out)["id"]
    titles, media, staging = catalogue(data)
    assert titles == 1
    assert staging == []  # ...until the next run sweeps it
    assert {path.split("/")[0] for path in media} == {json.loads(out)["media_path"]}
    engine = create_engine(f"sqlite:///{data / 'airwave.db'}")
    with engine.connect() as connection:
        states = connection.execute(text("SELECT state, title_id FROM ingest_jobs ORDER BY id")).all()
    engine.dispose()
    assert [tuple(row) for row in states] == [("interrupted", None), ("done", title_id)]

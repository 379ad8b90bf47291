"""Running ffmpeg as a supervised child process.

argv is a list, never a shell. ffmpeg gets its own session, so a Ctrl-C reaches Python, which stops ffmpeg
through :meth:`FFmpegProcess.close`; on Linux it is also killed if Python itself dies (``PR_SET_PDEATHSIG``),
so no ffmpeg outlives its parent, even after ``kill -9``. stderr goes to the logger and its last lines are
kept for error messages.
"""

from __future__ import annotations

import collections
import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import IO

from airwave.errors import IngestCancelled, MediaError, ToolMissing
from airwave.media.progress import Progress, ProgressParser

log = logging.getLogger("airwave.media.ffmpeg")

_PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


class FFmpegProcess:
    """One ffmpeg run. Use as a context manager, or call :meth:`start` and always :meth:`close`."""

    def __init__(
        self, argv: Sequence[str], *, name: str = "ffmpeg", stop_timeout: float = 5.0, stdin_pipe: bool = False
    ) -> None:
        self.argv = list(argv)
        self.stdin_pipe = stdin_pipe  # feed raw frames through :attr:`stdin` (e.g. the watermark embedder)
        self.name = name
        self.stop_timeout = stop_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr_lines: collections.deque[str] = collections.deque(maxlen=40)
        self._stderr_thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    def start(self) -> None:
        """Start ffmpeg.

        Raises:
            ToolMissing: the binary cannot be executed.
        """
        log.debug("starting %s: %s", self.name, subprocess.list2cmdline(self.argv))
        try:
            self._proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE if self.stdin_pipe else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                preexec_fn=_die_with_parent(os.getpid()) if _LIBC is not None else None,  # noqa: PLW1509
            )
        except OSError as exc:
            raise ToolMissing(f"cannot run ffmpeg ({self.argv[0]}): {exc.strerror}") from None
        self._stderr_thread = threading.Thread(target=self._read_stderr, name=f"{self.name}-stderr", daemon=True)
        self._stderr_thread.start()

    @property
    def stdin(self) -> IO[bytes]:
        """ffmpeg's input pipe (only with ``stdin_pipe=True``)."""
        if self._proc is None or self._proc.stdin is None:
            raise RuntimeError("start() with stdin_pipe=True first")
        return self._proc.stdin

    @property
    def stdout(self) -> IO[bytes]:
        """ffmpeg's output pipe, for a command writing media to ``pipe:1`` (instead of :meth:`progress`)."""
        if self._proc is None or self._proc.stdout is None:
            raise RuntimeError("start() first")
        return self._proc.stdout

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def poll(self) -> int | None:
        """ffmpeg's exit status if it has exited, else None (does not block)."""
        return self._proc.poll() if self._proc is not None else None

    def progress(self) -> Iterator[Progress]:
        """Yield ffmpeg's progress reports until it closes its output (exits)."""
        assert self._proc is not None, "start() first"
        assert self._proc.stdout is not None
        parser = ProgressParser()
        for raw in self._proc.stdout:
            report = parser.feed(raw.decode("utf-8", "replace"))
            if report is not None:
                yield report

    def wait(self) -> int:
        """Wait for ffmpeg to exit and return its exit status (negative: killed by that signal)."""
        assert self._proc is not None, "start() first"
        status = self._proc.wait()
        if self._stderr_thread is not None:
            self._stderr_thread.join()
        return status

    @property
    def stderr_tail(self) -> str:
        """ffmpeg's last messages, for error reports."""
        return "\n".join(self._stderr_lines)

    def close(self) -> None:
        """Stop ffmpeg if it still runs (terminate, then kill after ``stop_timeout``) and reap it. Idempotent."""
        with self._lock:
            if self._closed or self._proc is None:
                self._closed = True
                return
            self._closed = True
            _stop(self._proc, self.stop_timeout)
            for stream in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
                if stream is not None:
                    stream.close()
        if self._stderr_thread is not None and self._stderr_thread is not threading.current_thread():
            self._stderr_thread.join(timeout=self.stop_timeout)

    def __enter__(self) -> FFmpegProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read_stderr(self) -> None:
        assert self._proc is not None
        assert self._proc.stderr is not None
        try:
            for raw in self._proc.stderr:
                line = raw.decode("utf-8", "replace").rstrip()
                if line:
                    self._stderr_lines.append(line)
                    log.debug("%s: %s", self.name, line)
        except (OSError, ValueError):
            pass  # the pipe was closed by close()


def run_ffmpeg(
    argv: Sequence[str],
    *,
    on_progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    name: str = "ffmpeg",
    stop_timeout: float = 1.0,
) -> None:
    """Run ffmpeg to completion, reporting progress.

    If it must stop early, its output is being thrown away, so ffmpeg gets only ``stop_timeout`` seconds to
    finish after SIGTERM (flushing a slow encoder can take far longer) before it is killed.

    Raises:
        IngestCancelled: ``cancel`` was set; ffmpeg was stopped.
        MediaError: ffmpeg failed; the message carries its last error lines.
    """
    with FFmpegProcess(argv, name=name, stop_timeout=stop_timeout) as process:
        for report in process.progress():
            if cancel is not None and cancel.is_set():
                raise IngestCancelled("cancelled; ffmpeg was stopped")
            if on_progress is not None:
                on_progress(report)
        status = process.wait()
    if cancel is not None and cancel.is_set():
        raise IngestCancelled("cancelled; ffmpeg was stopped")
    if status != 0:
        raise MediaError(f"ffmpeg failed ({_describe_status(status)}): {_last_errors(process.stderr_tail)}")


def _stop(proc: subprocess.Popen[bytes], timeout: float) -> None:
    if proc.poll() is not None:
        return
    try:
        proc.terminate()
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise


def _die_with_parent(parent: int) -> Callable[[], None]:
    def set_death_signal() -> None:
        assert _LIBC is not None
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return set_death_signal


def _describe_status(status: int) -> str:
    if status < 0:
        try:
            return f"stopped by {signal.Signals(-status).name}"
        except ValueError:
            return f"stopped by signal {-status}"
    return f"exit status {status}"


def _last_errors(tail: str) -> str:
    lines = [line.removeprefix("[error] ").removeprefix("[fatal] ") for line in tail.splitlines()]
    errors = [line for line in lines if not line.startswith("[warning]")] or lines
    return "; ".join(errors[-3:]) or "no message"

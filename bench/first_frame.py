"""Time from navigating to the player page to the first decoded video frame, in headless Chromium on loopback.

A 720p title (ladder 720p + 360p, 4 s segments, as an operator would ingest it) is served by ``airwave serve``.
Each run opens ``/watch/<id>`` in a fresh tab of a signed-in browser and reads the timestamp of the video's
first ``requestVideoFrameCallback``, which is measured from the navigation's start (``performance.timeOrigin``):
the page, its script, the playback session, the playlists, the first segments and the decode all count.
One warm-up run, then the median of five. Goal: at most one second.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright
from tests.e2e.portal import CHROMIUM_ARGS, PASSWORD, VIEWER, add_users, ingest, make_clip, serve
from tests.services import CHROMIUM

from bench.table import Row

RUNS = 5
GOAL_SECONDS = 1.0
INGEST = {"AIRWAVE_LADDER": "720,360", "AIRWAVE_SEGMENT_SECONDS": "4", "AIRWAVE_X264_PRESET": "veryfast"}
# Installed before any page script: note when the first frame is presented (ms since navigation start).
PROBE = """
document.addEventListener("DOMContentLoaded", () => {
  const video = document.querySelector("video");
  if (video) video.requestVideoFrameCallback((now) => { window.__firstFrame = now; });
});
"""


def measure(browser: Browser, base: str, title: int, runs: int = RUNS) -> list[float]:
    """Seconds to the first frame for ``runs`` fresh page loads (after one warm-up)."""
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 720})
    context.add_init_script(PROBE)
    page = context.new_page()
    page.goto("/login")
    page.fill("#email", VIEWER)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    page.close()
    times = []
    for _ in range(runs + 1):
        tab = context.new_page()
        tab.goto(f"/watch/{title}", wait_until="commit")
        tab.wait_for_function("window.__firstFrame !== undefined", timeout=30_000)
        times.append(tab.evaluate("window.__firstFrame") / 1000)
        tab.close()
    context.close()
    return times[1:]


def run() -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="airwave-bench-ff-") as folder:
        data = Path(folder) / "var"
        clip = make_clip(Path(folder) / "clip.mp4", seconds=20, size="1280x720")
        add_users(data)
        title = ingest(data, clip, "First Frame", env=INGEST)["id"]
        with serve(data) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                times = measure(browser, base, title)
            finally:
                browser.close()
    median = statistics.median(times)
    spread = ", ".join(f"{t:.2f}" for t in times)
    return [
        Row(
            goal="Page load to first frame, headless Chromium on loopback",
            ours=f"{median:.2f} s",
            peer=f"{GOAL_SECONDS:.2f} s budget",
            ratio=median / GOAL_SECONDS,
            target="<= 1.00",
            ok=median <= GOAL_SECONDS,
            note=f"median of {RUNS} fresh loads of /watch (720p ladder, 4 s segments), runs: {spread} s",
        )
    ]


if __name__ == "__main__":
    from bench.table import plain

    print(plain(run()))

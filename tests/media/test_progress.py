from __future__ import annotations

from airwave.media.progress import Progress, ProgressParser

BLOCK = """frame=75
fps=0.00
out_time_us=1500000
out_time=00:00:01.500000
speed=3.02x
progress=continue
frame=125
out_time_us=N/A
speed=N/A
progress=end
"""


def test_blocks_become_reports() -> None:
    parser = ProgressParser()
    reports = [r for line in BLOCK.splitlines() if (r := parser.feed(line)) is not None]
    assert reports == [
        Progress(out_time=1.5, frame=75, speed=3.02, done=False),
        Progress(out_time=None, frame=125, speed=None, done=True),
    ]


def test_noise_is_ignored() -> None:
    parser = ProgressParser()
    assert parser.feed("not a key value line") is None
    assert parser.feed("") is None

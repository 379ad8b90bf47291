"""Benchmarks: Airwave side by side with a plain reference (ffmpeg, nginx, ...), as ratios. ``make bench``."""

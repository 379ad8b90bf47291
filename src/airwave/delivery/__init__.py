"""Playback sessions and signed URLs."""

"""The HTTP face of Airwave: API, pages, playback routes."""

"""The VOD catalogue: titles, series, renditions, ingest jobs."""

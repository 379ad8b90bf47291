"""Airwave: an open-source platform for running a pay-TV and on-demand streaming service."""

__version__ = "0.1.0"

"""Tables of delivery: stream leases (embedded mode), the edge registry, delivery samples and abuse events."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from airwave.store.tables import Base


class StreamLease(Base):
    """A playback session's claim on one of its account's concurrent streams (embedded mode; Redis at scale)."""

    __tablename__ = "stream_leases"

    session_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    expires: Mapped[float] = mapped_column(Float)  # Unix seconds; the lease lapses then unless renewed


class Edge(Base):
    """A caching nginx edge: where it is, whether it answers, and what it last reported."""

    __tablename__ = "edges"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str] = mapped_column(String(300))  # base URL players reach it at, e.g. https://edge1.example.net
    region: Mapped[str] = mapped_column(String(40), default="default")
    healthy: Mapped[bool] = mapped_column(Boolean, default=False)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # consecutive failed checks
    checked_at: Mapped[dt.datetime | None]
    error: Mapped[str] = mapped_column(Text, default="")  # why the last check failed
    connections: Mapped[int] = mapped_column(Integer, default=0)  # active connections (its load)
    hits: Mapped[int] = mapped_column(BigInteger, default=0)  # cache counters since the edge's log began
    misses: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_sent: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime]


class DeliverySample(Base):
    """One point of the admin charts: streams and egress at a moment."""

    __tablename__ = "delivery_samples"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    streams: Mapped[int] = mapped_column(Integer)  # live stream leases
    bytes_per_second: Mapped[float] = mapped_column(Float)  # summed over edges since the previous sample
    hit_ratio: Mapped[float | None] = mapped_column(Float)  # cache hits / lookups over the same interval


class DeliveryEvent(Base):
    """Something an operator may want to see: a token replayed from another client, a refused start."""

    __tablename__ = "delivery_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(20))  # replay | stream_limit | start_rate
    session_id: Mapped[str] = mapped_column(String(32), default="")
    user_id: Mapped[int | None] = mapped_column(Integer)
    client_ip: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(Text, default="")

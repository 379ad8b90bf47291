"""Tables of live TV: channels (live sources or playout from the catalogue)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from airwave.store.tables import Base


class Channel(Base):
    """A linear channel: fed by a live source (push or pull, with a backup) or played out from a schedule."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    number: Mapped[int | None] = mapped_column(Integer)  # position in the guide and the M3U
    group_title: Mapped[str] = mapped_column(String(100), default="")
    logo: Mapped[str | None] = mapped_column(String(200))  # file under <data>/channels/<slug>/
    kind: Mapped[str] = mapped_column(String(10), default="live")  # live | playout
    source_url: Mapped[str] = mapped_column(Text, default="")  # rtmp:// push, srt://, http(s) m3u8, udp, rtsp, file
    backup_url: Mapped[str] = mapped_column(Text, default="")
    mode: Mapped[str] = mapped_column(String(12), default="passthrough")  # passthrough | ladder
    stream_key: Mapped[str] = mapped_column(String(64), default="")  # secret for RTMP/SRT push
    srt_port: Mapped[int | None] = mapped_column(Integer)
    dvr_hours: Mapped[float] = mapped_column(Float, default=4.0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    watermark: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(12), default="stopped")  # live|backup|slate|stopped|failing
    state_since: Mapped[dt.datetime | None]
    switch_count: Mapped[int] = mapped_column(Integer, default=0)  # source switches (failover and back)
    last_error: Mapped[str] = mapped_column(Text, default="")  # why the last source failed, for the admin
    territories: Mapped[str] = mapped_column(String(1000), default="", server_default="")  # rights; "" = all
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

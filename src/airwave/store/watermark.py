"""Tables of forensic watermarking: each playback session's code, kept for tracing leaks days later."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from airwave.store.tables import Base, UTCDateTime


class WatermarkCode(Base):
    """The random A/B code of one playback session of a marked title (or, later, channel)."""

    __tablename__ = "watermark_codes"

    session_id: Mapped[str] = mapped_column(ForeignKey("playback_sessions.id", ondelete="CASCADE"), primary_key=True)
    title_id: Mapped[int | None] = mapped_column(ForeignKey("titles.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str | None] = mapped_column(String(80), index=True)
    bits: Mapped[int] = mapped_column(Integer)
    code: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

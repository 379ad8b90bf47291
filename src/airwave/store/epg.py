"""Tables of the programme guide, playout schedules and subscribers' IPTV links."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from airwave.store.tables import Base


class Programme(Base):
    """One entry of the guide: what a channel shows from ``start`` to ``stop``."""

    __tablename__ = "programmes"
    __table_args__ = (
        UniqueConstraint("channel_id", "start"),
        Index("ix_programmes_channel_stop", "channel_id", "stop"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    start: Mapped[dt.datetime]
    stop: Mapped[dt.datetime]
    title: Mapped[str] = mapped_column(String(300))
    subtitle: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(100), default="")
    episode_num: Mapped[str] = mapped_column(String(40), default="")  # xmltv_ns "0.4." style or onscreen
    icon: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(10), default="api")  # xmltv | playout | api
    title_id: Mapped[int | None] = mapped_column(ForeignKey("titles.id", ondelete="SET NULL"))


class PlayoutBlock(Base):
    """A block of a playout channel's daily grid: on some weekdays, from a time of day, play a title.

    The title is a film or an episode (played as is), or a series (its episodes in order, or shuffled).
    """

    __tablename__ = "playout_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), index=True)
    weekdays: Mapped[int] = mapped_column(Integer, default=0b1111111)  # bit 0 = Monday ... bit 6 = Sunday
    start_minute: Mapped[int] = mapped_column(Integer)  # minutes after midnight UTC
    minutes: Mapped[int] = mapped_column(Integer)  # length of the block
    title_id: Mapped[int] = mapped_column(ForeignKey("titles.id", ondelete="CASCADE"))
    order: Mapped[str] = mapped_column(String(10), default="sequential")  # sequential | shuffle
    created_at: Mapped[dt.datetime]


class PlayoutFiller(Base):
    """A short title that fills the gaps between a playout channel's blocks, in rotation."""

    __tablename__ = "playout_fillers"
    __table_args__ = (UniqueConstraint("channel_id", "title_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), index=True)
    title_id: Mapped[int] = mapped_column(ForeignKey("titles.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)


class IptvToken(Base):
    """A subscriber's personal IPTV link token (the account page shows the links again, so the token itself
    is kept, like any capability URL); regenerating revokes the old one."""

    __tablename__ = "iptv_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]

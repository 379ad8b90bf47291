"""``/admin/streams``: who is watching what right now, the edges, and streams and egress over time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from airwave.store.delivery import DeliveryEvent, DeliverySample, Edge
from airwave.store.tables import PlaybackSession, Title, User
from airwave.web import deps
from airwave.web.pages.admin.stream_charts import line_chart
from airwave.web.pages.rendering import render

router = APIRouter()

WINDOW = dt.timedelta(hours=1)
MAX_ROWS = 500


@router.get("/admin/streams")
def streams(request: Request) -> Response:
    """Active streams, edges with health and cache hit ratio, recent abuse events, and two charts."""
    runtime = deps.get_runtime(request)
    now = runtime.clock.now()
    with runtime.db.session() as session:
        samples = list(
            session.scalars(select(DeliverySample).where(DeliverySample.at > now - WINDOW).order_by(DeliverySample.at))
        )
        context: dict[str, Any] = {
            "section": "streams",
            "sessions": _active(session, now),
            "edges": list(session.scalars(select(Edge).order_by(Edge.region, Edge.name))),
            "events": list(session.scalars(select(DeliveryEvent).order_by(DeliveryEvent.id.desc()).limit(20))),
            "streams_chart": line_chart([(s.at, float(s.streams)) for s in samples], label="Active streams"),
            "egress_chart": line_chart(
                [(s.at, s.bytes_per_second * 8 / 1e6) for s in samples], label="Edge egress", unit=" Mb/s"
            ),
        }
        return render(request, "admin/streams.html", context)


def _active(session: Session, now: dt.datetime) -> list[dict[str, Any]]:
    statement = (
        select(PlaybackSession, User.email, Title.name)
        .join(User, User.id == PlaybackSession.user_id)
        .outerjoin(Title, Title.id == PlaybackSession.title_id)
        .where(PlaybackSession.ended_at.is_(None), PlaybackSession.expires_at > now)
        .order_by(PlaybackSession.created_at.desc())
        .limit(MAX_ROWS)
    )
    return [
        {
            "id": row.id,
            "user_id": row.user_id,
            "email": email,
            "watching": name or (f"channel {row.channel}" if row.channel else "?"),
            "device": row.user_agent or "unknown device",
            "client_ip": row.client_ip,
            "since": row.created_at,
        }
        for row, email, name in session.execute(statement)
    ]

"""The guide service: XMLTV import (mapping, upsert, unknown channels), export, now/next, API edits."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from airwave.channels.epg import add_programme, export_xmltv, import_xmltv, now_next, programmes
from airwave.channels.service import create_channel
from airwave.channels.xmltv import XProgramme
from airwave.errors import BadRequest, Conflict
from airwave.runtime import Runtime
from tests.channels.test_xmltv import DTD

T0 = dt.datetime(2027, 1, 15, 20, 0, tzinfo=dt.UTC)

GUIDE = b"""<?xml version="1.0" encoding="UTF-8"?>
<tv>
  <channel id="news-24"><display-name>News 24</display-name></channel>
  <channel id="bbc1.uk"><display-name>Sports One</display-name></channel>
  <channel id="nowhere"><display-name>Nowhere TV</display-name></channel>
  <programme start="20270115200000 +0000" stop="20270115203000 +0000" channel="news-24">
    <title>Evening News</title><desc>Headlines</desc>
  </programme>
  <programme start="20270115203000 +0000" channel="news-24"><title>Weather</title></programme>
  <programme start="20270115204000 +0000" stop="20270115210000 +0000" channel="news-24">
    <title>Sport</title>
  </programme>
  <programme start="20270115210000 +0100" stop="20270115220000 +0100" channel="bbc1.uk">
    <title>Match of the Day</title><episode-num system="xmltv_ns">2.9.</episode-num>
  </programme>
  <programme start="20270115200000 +0000" stop="20270115210000 +0000" channel="nowhere"><title>?</title></programme>
</tv>
"""


@pytest.fixture
def channels(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        create_channel(session, runtime.settings, runtime.clock, "news-24", name="News 24", source_url="rtmp://push")
        create_channel(session, runtime.settings, runtime.clock, "sports", name="Sports One", source_url="rtmp://push")


@pytest.mark.usefixtures("channels")
def test_import_maps_by_id_or_name_upserts_and_reports_unknown(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        report = import_xmltv(session, GUIDE, "guide.xml")
        assert (report.added, report.updated, report.skipped) == (4, 0, 1)
        assert report.unknown_channels == ["nowhere"]
        rows = programmes(session, None, T0 - dt.timedelta(hours=1), T0 + dt.timedelta(hours=3))
        by_title = {row.title: row for row in rows}
        assert by_title["Weather"].stop == T0 + dt.timedelta(minutes=40)  # no stop: until the next one
        assert by_title["Match of the Day"].start == T0  # 21:00 +0100
        assert by_title["Match of the Day"].episode_num == "2.9."
    with runtime.db.session() as session:
        again = import_xmltv(session, GUIDE.replace(b"Headlines", b"Top stories"), "guide.xml")
        assert (again.added, again.updated) == (0, 4)
        rows = programmes(session, None, T0, T0 + dt.timedelta(minutes=1))
        assert {row.description for row in rows} >= {"Top stories"}


@pytest.mark.usefixtures("channels")
def test_invalid_xml_imports_nothing(runtime: Runtime) -> None:
    with pytest.raises(BadRequest, match="line"), runtime.db.session() as session:
        import_xmltv(session, GUIDE[:300], "guide.xml")
    with runtime.db.session() as session:
        assert programmes(session, None, T0 - dt.timedelta(days=1), T0 + dt.timedelta(days=1)) == []


@pytest.mark.usefixtures("channels")
def test_export_validates_against_the_dtd_and_uses_slugs_as_ids(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        import_xmltv(session, GUIDE)
        document = export_xmltv(session, T0 - dt.timedelta(hours=1), T0 + dt.timedelta(hours=3))
    tree = etree.fromstring(document)
    assert DTD.validate(tree), DTD.error_log.filter_from_errors()
    assert [c.get("id") for c in tree.findall("channel")] == ["news-24", "sports"]
    assert {p.get("channel") for p in tree.findall("programme")} == {"news-24", "sports"}


@pytest.mark.usefixtures("channels")
def test_now_next_and_api_additions(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        import_xmltv(session, GUIDE)
        from airwave.channels.service import get_channel

        news = get_channel(session, "news-24")
        current, following = now_next(session, news, T0 + dt.timedelta(minutes=10))
        assert current is not None
        assert following is not None
        assert (current.title, following.title) == ("Evening News", "Weather")
        extra = XProgramme("news-24", T0 + dt.timedelta(hours=1), T0 + dt.timedelta(hours=2), "Late Show")
        assert add_programme(session, news, extra).source == "api"
        with pytest.raises(Conflict, match="overlaps 'Late Show'"):
            add_programme(session, news, extra)
        with pytest.raises(BadRequest, match="stop time"):
            add_programme(session, news, XProgramme("news-24", T0, T0, "Zero"))

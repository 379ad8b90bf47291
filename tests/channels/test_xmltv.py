"""XMLTV parsing and rendering, validated against the XMLTV project's DTD (a copy in tests/data)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from lxml import etree

from airwave.channels.xmltv import XChannel, XProgramme, format_time, parse_time, parse_xmltv, render_xmltv
from airwave.errors import BadRequest

DTD = etree.DTD(str(Path(__file__).parents[1] / "data" / "xmltv.dtd"))
T0 = dt.datetime(2027, 1, 15, 20, 0, tzinfo=dt.UTC)


def valid(document: bytes) -> bool:
    """Whether ``document`` validates against the XMLTV DTD (the reasons are printed on failure)."""
    tree = etree.fromstring(document, etree.XMLParser(resolve_entities=False, no_network=True))
    ok = bool(DTD.validate(tree))
    print(DTD.error_log.filter_from_errors())
    return ok


def test_times_parse_any_offset_and_render_in_utc() -> None:
    assert parse_time("20270115210000 +0100") == T0
    assert parse_time("20270115150000 -0500") == T0
    assert parse_time("202701152000") == T0
    assert format_time(T0) == "20270115200000 +0000"
    with pytest.raises(ValueError, match="not an XMLTV time"):
        parse_time("tomorrow")


def test_rendered_guide_validates_and_round_trips() -> None:
    channels = [XChannel("news-24", ("News 24",), "http://tv.example/logo/news-24"), XChannel("movies", ("Movies",))]
    programmes = [
        XProgramme("news-24", T0, T0 + dt.timedelta(minutes=30), "Evening News", description="Headlines & weather"),
        XProgramme(
            "movies",
            T0,
            T0 + dt.timedelta(hours=2),
            "Night Train",
            subtitle="Part 1 <of 2>",
            category="Thriller",
            episode_num="0.0.",
            icon="http://tv.example/poster.jpg",
        ),
    ]
    document = render_xmltv(channels, programmes, source="Airwave")
    assert valid(document)
    parsed = parse_xmltv(document)
    assert parsed.channels == channels
    assert [replace_line(p) for p in parsed.programmes] == programmes


def replace_line(programme: XProgramme) -> XProgramme:
    from dataclasses import replace

    return replace(programme, line=0)


def test_invalid_xml_names_the_line() -> None:
    broken = b'<?xml version="1.0"?>\n<tv>\n  <programme start="20270115200000 +0000" channel="a">\n</tv>\n'
    with pytest.raises(BadRequest, match=r"guide.xml is not valid XML: .* line 4"):
        parse_xmltv(broken, "guide.xml")


def test_not_xmltv_and_incomplete_programmes_are_refused() -> None:
    with pytest.raises(BadRequest, match="expected <tv>"):
        parse_xmltv(b"<rss/>")
    with pytest.raises(BadRequest, match="programme 1 needs a channel, a start and a <title>"):
        parse_xmltv(b'<tv><programme start="20270115200000" channel="a"/></tv>')
    with pytest.raises(BadRequest, match="not an XMLTV time"):
        parse_xmltv(b'<tv><programme start="soon" channel="a"><title>x</title></programme></tv>')


def test_entities_are_not_expanded_from_outside() -> None:
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE tv [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<tv><programme start="20270115200000" channel="a"><title>&x;</title></programme></tv>'
    )
    try:
        guide = parse_xmltv(hostile)
    except BadRequest:
        return
    assert "root:" not in guide.programmes[0].title

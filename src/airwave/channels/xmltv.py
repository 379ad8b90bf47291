"""XMLTV, the guide format IPTV apps read: parse a file into plain records, render records into a file. Pure.

Rendered documents follow the XMLTV DTD (element order inside ``<programme>`` matters). Times are
``YYYYMMDDhhmmss +0000``; parsing accepts any offset and shorter precision, as the DTD allows.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field

from airwave.errors import BadRequest

_TIME = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?\s*(?:([+-])(\d{2}):?(\d{2}))?$")
GENERATOR = "Airwave"


@dataclass(frozen=True)
class XChannel:
    id: str
    names: tuple[str, ...]
    icon: str = ""


@dataclass(frozen=True)
class XProgramme:
    channel: str
    start: dt.datetime
    stop: dt.datetime | None
    title: str
    subtitle: str = ""
    description: str = ""
    category: str = ""
    episode_num: str = ""  # xmltv_ns, e.g. "0.4." for season 1 episode 5
    icon: str = ""
    line: int = 0  # where it was in the file, for messages


@dataclass
class XGuide:
    channels: list[XChannel] = field(default_factory=list)
    programmes: list[XProgramme] = field(default_factory=list)


def parse_time(text: str) -> dt.datetime:
    """Parse an XMLTV time (``20260102133000 +0100``) into an aware UTC datetime.

    Raises:
        ValueError: not an XMLTV time.
    """
    match = _TIME.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not an XMLTV time (YYYYMMDDhhmmss +zzzz)")
    year, month, day, hour, minute, second, sign, off_h, off_m = match.groups()
    moment = dt.datetime(
        int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0), int(second or 0), tzinfo=dt.UTC
    )
    if sign:
        offset = dt.timedelta(hours=int(off_h), minutes=int(off_m))
        moment -= offset if sign == "+" else -offset
    return moment


def format_time(moment: dt.datetime) -> str:
    """An aware datetime as an XMLTV time in UTC."""
    return moment.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S +0000")


def parse_xmltv(data: bytes, name: str = "the file") -> XGuide:
    """Read an XMLTV document.

    Raises:
        BadRequest: not well-formed XML (the message names the line), not an XMLTV ``<tv>`` document, or a
            programme without a channel, start or title.
    """
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line, column = exc.position
        problem = str(exc).split(": line")[0]
        raise BadRequest(f"{name} is not valid XML: {problem} at line {line}, column {column + 1}") from None
    if root.tag != "tv":
        raise BadRequest(f"{name} is not XMLTV: the root element is <{root.tag}>, expected <tv>")
    guide = XGuide()
    for element in root.findall("channel"):
        names = tuple(_text(n) for n in element.findall("display-name") if _text(n))
        icon = element.find("icon")
        guide.channels.append(XChannel(element.get("id", ""), names, icon.get("src", "") if icon is not None else ""))
    for index, element in enumerate(root.findall("programme")):
        guide.programmes.append(_programme(element, index, name))
    return guide


def _programme(element: ET.Element, index: int, name: str) -> XProgramme:
    where = f"{name}: programme {index + 1}"
    channel, start = element.get("channel"), element.get("start")
    title = _text(element.find("title"))
    if not channel or not start or not title:
        raise BadRequest(f"{where} needs a channel, a start and a <title>")
    try:
        begins = parse_time(start)
        ends = parse_time(element.get("stop", "")) if element.get("stop") else None
    except ValueError as exc:
        raise BadRequest(f"{where}: {exc}") from None
    episode = element.find("episode-num[@system='xmltv_ns']")
    if episode is None:
        episode = element.find("episode-num")
    icon = element.find("icon")
    return XProgramme(
        channel=channel,
        start=begins,
        stop=ends,
        title=title,
        subtitle=_text(element.find("sub-title")),
        description=_text(element.find("desc")),
        category=_text(element.find("category")),
        episode_num=_text(episode),
        icon=icon.get("src", "") if icon is not None else "",
        line=index + 1,
    )


def render_xmltv(channels: Iterable[XChannel], programmes: Iterable[XProgramme], source: str = "") -> bytes:
    """Render an XMLTV document (UTF-8, with the DOCTYPE line IPTV apps and validators expect)."""
    root = ET.Element("tv", {"generator-info-name": GENERATOR})
    if source:
        root.set("source-info-name", source)
    for channel in channels:
        element = ET.SubElement(root, "channel", {"id": channel.id})
        for display in channel.names:
            ET.SubElement(element, "display-name").text = display
        if channel.icon:
            ET.SubElement(element, "icon", {"src": channel.icon})
    for programme in programmes:
        _render_programme(root, programme)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE tv SYSTEM "xmltv.dtd">\n' + body + "\n").encode()


def _render_programme(root: ET.Element, programme: XProgramme) -> None:
    attributes = {"start": format_time(programme.start), "channel": programme.channel}
    if programme.stop is not None:
        attributes["stop"] = format_time(programme.stop)
    element = ET.SubElement(root, "programme", attributes)
    # DTD order: title+, sub-title*, desc*, ..., category*, ..., icon*, url*, country*, episode-num*
    ET.SubElement(element, "title").text = programme.title
    if programme.subtitle:
        ET.SubElement(element, "sub-title").text = programme.subtitle
    if programme.description:
        ET.SubElement(element, "desc").text = programme.description
    if programme.category:
        ET.SubElement(element, "category").text = programme.category
    if programme.icon:
        ET.SubElement(element, "icon", {"src": programme.icon})
    if programme.episode_num:
        ET.SubElement(element, "episode-num", {"system": "xmltv_ns"}).text = programme.episode_num


def _text(element: ET.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""

"""Reading the title forms (edit, new series, upload): each field checked, every problem named; pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_NAME = 300
MAX_DESCRIPTION = 5000
MAX_GENRE = 80
YEARS = (1870, 2200)
LANGUAGE_CODES = 3


@dataclass
class FormResult:
    """The parsed values (for the service call), and per-field problems (for the page)."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_title_fields(form: Mapping[str, str], *, placement: bool = False) -> FormResult:
    """Name, description, year and genres; with ``placement``, season and episode too."""
    result = FormResult()
    name = " ".join(form.get("name", "").split())
    if not name:
        result.errors["name"] = "Enter a name."
    elif len(name) > MAX_NAME:
        result.errors["name"] = f"Use at most {MAX_NAME} characters."
    result.values["name"] = name
    description = form.get("description", "").strip()
    if len(description) > MAX_DESCRIPTION:
        result.errors["description"] = f"Use at most {MAX_DESCRIPTION} characters."
    result.values["description"] = description
    result.values["year"] = _number(form, "year", YEARS, result, "Enter a year such as 2024.")
    result.values["genres"] = _genres(form.get("genres", ""), result)
    if placement:
        for key in ("season", "episode"):
            result.values[key] = _number(form, key, (0, 10_000), result, f"Enter the {key} number, e.g. 1.")
    return result


def read_upload_fields(form: Mapping[str, str]) -> FormResult:
    """The upload form: the title fields, an optional series placement, the subtitle language."""
    result = read_title_fields(form, placement=True)
    series = " ".join(form.get("series", "").split())
    if len(series) > MAX_NAME:
        result.errors["series"] = f"Use at most {MAX_NAME} characters."
    if not series:
        for key in ("season", "episode"):
            if result.values.get(key) is not None:
                result.errors[key] = "Season and episode need a series: enter its name above."
    result.values["series"] = series or None
    language = form.get("subtitle_language", "").strip().lower() or "eng"
    if not (len(language) in (2, LANGUAGE_CODES) and language.isalpha() and language.isascii()):
        result.errors["subtitle_language"] = "Use a 2- or 3-letter language code such as eng or fr."
    result.values["subtitle_language"] = language
    return result


def _number(form: Mapping[str, str], key: str, bounds: tuple[int, int], result: FormResult, hint: str) -> int | None:
    raw = form.get(key, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        result.errors[key] = hint
        return None
    value = int(raw)
    if not bounds[0] <= value <= bounds[1]:
        result.errors[key] = f"Enter a number from {bounds[0]} to {bounds[1]}."
        return None
    return value


def _genres(raw: str, result: FormResult) -> list[str]:
    genres: list[str] = []
    for part in raw.split(","):
        genre = " ".join(part.split())
        if not genre or genre.lower() in (g.lower() for g in genres):
            continue
        if len(genre) > MAX_GENRE:
            result.errors["genres"] = f"Each genre can have at most {MAX_GENRE} characters."
        genres.append(genre)
    return genres

"""Language codes: what containers carry (ISO 639-2, e.g. ``eng``/``fre``) to what HLS wants.

RFC 8216 4.3.4.1: LANGUAGE is an RFC 5646 tag, which uses the two-letter ISO 639-1 code where one exists.
"""

from __future__ import annotations

from dataclasses import dataclass

# ISO 639-2 (bibliographic and terminology forms) and ISO 639-1 -> (RFC 5646 tag, English name).
_KNOWN = {
    ("eng", "en"): "English",
    ("fra", "fre", "fr"): "French",
    ("deu", "ger", "de"): "German",
    ("spa", "es"): "Spanish",
    ("ita", "it"): "Italian",
    ("por", "pt"): "Portuguese",
    ("nld", "dut", "nl"): "Dutch",
    ("swe", "sv"): "Swedish",
    ("nor", "no"): "Norwegian",
    ("dan", "da"): "Danish",
    ("fin", "fi"): "Finnish",
    ("pol", "pl"): "Polish",
    ("ces", "cze", "cs"): "Czech",
    ("ell", "gre", "el"): "Greek",
    ("tur", "tr"): "Turkish",
    ("rus", "ru"): "Russian",
    ("ukr", "uk"): "Ukrainian",
    ("ara", "ar"): "Arabic",
    ("heb", "he"): "Hebrew",
    ("hin", "hi"): "Hindi",
    ("jpn", "ja"): "Japanese",
    ("kor", "ko"): "Korean",
    ("zho", "chi", "zh"): "Chinese",
}
_TABLE = {code: (codes[-1], name) for codes, name in _KNOWN.items() for code in codes}


@dataclass(frozen=True)
class Language:
    """A language as found in a file, with its HLS tag and a human name."""

    code: str  # as given, lower case: used in folder names ("audio-eng")
    tag: str  # RFC 5646, for EXT-X-MEDIA LANGUAGE
    name: str  # for EXT-X-MEDIA NAME when the stream has no title


def language(code: str | None) -> Language | None:
    """Describe a container language code; None for missing or undetermined (``und``) ones."""
    code = (code or "").strip().lower()
    if not code or code in {"und", "unk", "mis", "zxx"} or not code.replace("-", "").isalnum():
        return None
    tag, name = _TABLE.get(code, (code, code.upper()))
    return Language(code=code, tag=tag, name=name)

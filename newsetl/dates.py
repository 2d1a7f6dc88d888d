"""The one date module: strings and text lines -> datetimes.

Two kinds of input. A page's own dates, in any format and language (``parse_date_local``,
``parse_date``, ``find_date_in_text``), read as the page wrote them. And machine dates:
sitemap ``lastmod``, feed dates and the ISO 8601 values newsetl itself writes
(``parse_listed_date``, ``parse_iso_utc``, ``iso_offset_minutes``), read strictly.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

_ISO_MILLIS = re.compile(r"(?<=\d)(T?\d\d:\d\d:\d\d)[:.](\d{1,6})(?!\d)")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)|\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2}\b")


def parse_date(value: Any, dayfirst: bool | None = None) -> datetime | None:
    """Parse a date string to an aware UTC datetime; naive values are taken as UTC."""
    dt = parse_date_local(value, dayfirst)
    if dt is None:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    try:
        return dt.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def parse_date_local(value: Any, dayfirst: bool | None = None) -> datetime | None:
    """Parse a date string as the page wrote it: aware in the page's own UTC offset when
    the value gives one, naive when it gives none (no offset is invented).

    Numeric dates are read in the order the page's language writes them: ``07.11.2023``
    is 7 November (dots are day-first wherever they are used), ``11/07/2023`` is
    November 7 only where ``dayfirst`` is False (American English); a part above 12
    settles the order whatever the language. Month names of the common European
    languages are read as well as English ones.
    """
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 80:
        return None
    dt: datetime | None = None
    text = _ISO_MILLIS.sub(r"\1.\2", text)  # "22:06:08:684Z", "18:11:01.0"
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        dt = None
    if dt is None:
        if not _YEAR.search(text):
            return None  # dateutil would fill in the current year
        dt = _parse_loose(_english_months(_iso_numeric(text, dayfirst)))
    if dt is None or not (1990 <= dt.year <= 2100):
        return None
    if dt.tzinfo is not None:
        try:
            dt.utcoffset()
        except (OverflowError, ValueError):
            return None
    return dt


def day_first(language: str | None) -> bool | None:
    """Whether numeric dates put the day first on a page in ``language`` (a BCP 47 tag):
    False for American English, True for the other languages and English regions, None
    when the page does not say."""
    if not language:
        return None
    tag = language.strip().lower().replace("_", "-")
    if not tag:
        return None
    if tag in ("en", "en-us") or tag.startswith("en-us-"):
        return False
    return True


_NUMERIC_YMD = re.compile(r"(?<![\d.])((?:19|20)\d\d)([-/.])(\d{1,2})\2(\d{1,2})(?![\d])")
_NUMERIC_DMY = re.compile(r"(?<![\d.:])(\d{1,2})([-/.])(\d{1,2})\2((?:19|20)\d\d|\d\d)(?![\d:])")


def _iso_numeric(text: str, dayfirst: bool | None) -> str:
    """``text`` with its first all-numeric date rewritten as ``YYYY-MM-DD`` in the order
    the page means (see :func:`parse_date_local`); unchanged when there is none."""
    m = _NUMERIC_YMD.search(text)
    if m:
        year, month, day = int(m.group(1)), int(m.group(3)), int(m.group(4))
    else:
        m = _NUMERIC_DMY.search(text)
        if not m:
            return text
        a, sep, b, y = int(m.group(1)), m.group(2), int(m.group(3)), m.group(4)
        year = int(y) if len(y) == 4 else 2000 + int(y)
        if a > 12 >= b:
            day, month = a, b
        elif b > 12 >= a:
            day, month = b, a
        elif sep == "." or dayfirst:
            day, month = a, b
        else:
            day, month = b, a
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return text
    return f"{text[: m.start()]}{year:04d}-{month:02d}-{day:02d}{text[m.end() :]}"


# Month names (full and the usual abbreviations) of the languages newsetl meets most,
# mapped to English for dateutil. Abbreviations shared with English are left out.
_MONTH_WORDS = {
    1: "januar janvier enero gennaio januari janeiro jänner jaenner styczeń stycznia ene gen janv",
    2: "februar février fevrier febrero febbraio februari fevereiro lutego luty févr fevr febr",
    3: "märz maerz mars marzo maart março marco marca mär mrz",
    4: "avril abril aprile kwietnia avr",
    5: "mai mayo maggio mei maio maja",
    6: "juni juin junio giugno junho czerwca juin",
    7: "juli juillet julio luglio julho lipca juil",
    8: "august août aout agosto augustus sierpnia aoû",
    9: "september septembre septiembre settembre setembro września sept sett",
    10: "oktober octobre octubre ottobre outubro października okt ott",
    11: "november novembre noviembre novembro listopada",
    12: "dezember décembre decembre diciembre dicembre december dezembro grudnia dez déc dic",
}
# Russian (nominative and genitive), Turkish and Arabic (Egyptian and Levantine) names.
_MORE_MONTH_WORDS = {
    1: "январь января янв ocak يناير",
    2: "февраль февраля фев şubat subat فبراير شباط",
    3: "март марта мар mart مارس آذار",
    4: "апрель апреля апр nisan أبريل إبريل نيسان",
    5: "май мая mayıs mayis مايو أيار",
    6: "июнь июня июн haziran يونيو حزيران",
    7: "июль июля июл temmuz يوليو تموز",
    8: "август августа авг ağustos agustos أغسطس آب",
    9: "сентябрь сентября сен eylül eylul سبتمبر أيلول",
    10: "октябрь октября окт ekim أكتوبر",
    11: "ноябрь ноября ноя kasım kasim نوفمبر",
    12: "декабрь декабря дек aralık aralik ديسمبر",
}
for _m, _words in _MORE_MONTH_WORDS.items():
    _MONTH_WORDS[_m] += " " + _words
_ENGLISH_MONTHS = (
    "January February March April May June July August September October November December"
).split()
_MONTH_OF = {w: m for m, words in _MONTH_WORDS.items() for w in words.split()}
MONTH_NAME = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|"
    + "|".join(sorted((re.escape(w) for w in _MONTH_OF), key=len, reverse=True))
    + r")\.?"
)
_FOREIGN_MONTH = re.compile(
    r"(?<!\w)("
    + "|".join(sorted(map(re.escape, _MONTH_OF), key=len, reverse=True))
    + r")\.?(?!\w)",
    re.IGNORECASE,
)


def _english_months(text: str) -> str:
    """``text`` with month names of other languages replaced by English ones."""
    if text.isascii() and not re.search(r"[a-z]{3}", text, re.I):
        return text
    return _FOREIGN_MONTH.sub(lambda m: _ENGLISH_MONTHS[_MONTH_OF[m.group(1).lower()] - 1], text)


_TZ_OFFSETS = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "BST": 3600,
    "CET": 3600,
    "CEST": 7200,
    "EET": 7200,
    "EEST": 10800,
    "IST": 19800,
    "JST": 32400,
    "KST": 32400,
    "AEST": 36000,
    "AEDT": 39600,
    "EST": -18000,
    "EDT": -14400,
    "CST": -21600,
    "CDT": -18000,
    "MST": -25200,
    "MDT": -21600,
    "PST": -28800,
    "PDT": -25200,
}


def _parse_loose(text: str) -> datetime | None:
    """dateutil's parser with common zone abbreviations; None when it finds no date."""
    try:
        from dateutil import parser as dateparser
    except ImportError:  # pragma: no cover - declared dependency
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fuzzy in (False, True):
            try:
                return dateparser.parse(text, fuzzy=fuzzy, tzinfos=_TZ_OFFSETS)
            except (ValueError, OverflowError, TypeError, AttributeError):
                continue
            except Exception:  # noqa: BLE001 - dateutil raises assorted errors on garbage
                return None
    return None


_TEXT_DATE = re.compile(
    r"(?<![\d.])(?P<date>\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?!\d)|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})(?!\d)"
    rf"|\d{{1,2}}(?:st|nd|rd|th|\.|er|º)?\s*(?:de\s+)?{MONTH_NAME},?\s+(?:de\s+)?\d{{4}}"
    rf"|{MONTH_NAME}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    r"|(?P<cy>\d{4})\s*[年년]\s*(?P<cm>\d{1,2})\s*[月월]\s*(?P<cd>\d{1,2})\s*[日일]?)"
    r"(?:[\s,|/@·•–(-]*(?:um|at|à|a las|alle|om|kl\.?|в|saat)?\s*"
    r"(?P<time>[0-2]?\d(?:[:.h]|時|시\s*)[0-5]\d)(?!\d)分?분?\s*(?P<ampm>[ap]\.?m\.?)?"
    r"(?:\s*(?:Uhr|h)?\s*\(?(?P<zone>(?:GMT|UTC)\s*[+-−]\s*\d{1,2}(?::?\d\d)?|[+-−]\d\d:?\d\d|"
    r"(?:CES?T|EES?T|BST|JST|KST|MSK)\b))?)?",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_ZONE_NAMES = {"CET": 60, "CEST": 120, "EET": 120, "EEST": 180, "BST": 60, "JST": 540}
_ZONE_NAMES |= {"KST": 540, "MSK": 180}


def _zone_minutes(zone: str) -> int | None:
    """The UTC offset in minutes a zone written after a time gives ("GMT+10", "+0200",
    "CEST"); None when it is not one."""
    zone = zone.upper().replace("−", "-").replace(" ", "")
    if zone in _ZONE_NAMES:
        return _ZONE_NAMES[zone]
    m = re.fullmatch(r"(?:GMT|UTC)?([+-])(\d{1,2}):?(\d\d)?", zone)
    if not m:
        return None
    minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
    minutes = -minutes if m.group(1) == "-" else minutes
    return minutes if -12 * 60 <= minutes <= 14 * 60 else None


def find_date_in_text(text: str, dayfirst: bool | None = None) -> datetime | None:
    """The first full calendar date (with a year) in a short line such as a byline or a
    date line ("Do 25.04.24 | 14:07 Uhr", "21. Jan 2022 // Name", "1. Februar 2022",
    "2024年4月25日 14時07分"), with its time of day and zone when they follow; as the page
    wrote it (see :func:`parse_date_local`)."""
    return next((dt for dt, _ in find_dates_in_text(text, dayfirst)), None)


def find_dates_in_text(text: str, dayfirst: bool | None = None) -> Iterator[tuple[datetime, int]]:
    """Each full calendar date in ``text`` (see :func:`find_date_in_text`) with the
    position where it starts."""
    if _DIGIT.search(text) is None:  # every form ``_TEXT_DATE`` reads has a digit
        return
    for match in _TEXT_DATE.finditer(text):
        chunk = match.group("date")
        if match.group("cy"):
            chunk = f"{match.group('cy')}-{int(match.group('cm')):02d}-{int(match.group('cd')):02d}"
        if match.group("time"):
            clock = re.sub(r"[.h時시]\s*", ":", match.group("time"))
            chunk += (
                " "
                + clock
                + (" " + match.group("ampm").replace(".", "") if match.group("ampm") else "")
            )
        dt = parse_date_local(chunk, dayfirst)
        if dt is None and match.group("time"):
            dt = parse_date_local(match.group("date"), dayfirst)
        elif dt is not None and dt.tzinfo is None and match.group("zone"):
            minutes = _zone_minutes(match.group("zone"))
            if minutes is not None:
                dt = dt.replace(tzinfo=timezone(timedelta(minutes=minutes)))
        if dt is not None:
            yield dt, match.start()


# "vor 3 Stunden", "2 hours ago", "il y a 5 minutes", "hace 2 días", "3 часа назад" ...
_UNITS = {
    "minute": ("minute", "min", "minuto", "minut", "минут", "dakika", "分", "분"),
    "hour": ("hour", "hr", "stunde", "std", "heure", "hora", "ora", "uur", "godzin", "час", "saat")
    + ("時間", "小时", "小時", "시간"),
    "day": ("day", "tag", "jour", "día", "dia", "giorn", "dag", "dni", "dzień", "дн", "день")
    + ("gün", "日", "天", "일"),
    "week": ("week", "woche", "semaine", "semana", "settiman", "tydzień", "недел", "hafta"),
}
_UNIT_WORD = "|".join(sorted((re.escape(w) for ws in _UNITS.values() for w in ws), key=len)[::-1])
_RELATIVE = re.compile(
    r"(?:\b(?:vor|il y a|hace|há|ha|fa|geleden|temu)\s+)?(?P<n>\d{1,3}|an?|one|einer?m?)\s*"
    rf"(?P<unit>{_UNIT_WORD})(?:(?![前전])\w)*\.?\s*(?P<ago>ago|fa|geleden|temu|назад|önce|前|전)?",
    re.IGNORECASE,
)
_RELATIVE_LEAD = re.compile(r"\b(?:vor|il y a|hace|há)\s+$", re.IGNORECASE)
_DAY_WORDS = {
    "today": 0, "heute": 0, "aujourd'hui": 0, "hoy": 0, "oggi": 0, "hoje": 0, "vandaag": 0,
    "dzisiaj": 0, "сегодня": 0, "bugün": 0, "今日": 0, "今天": 0, "오늘": 0,
    "yesterday": 1, "gestern": 1, "hier": 1, "ayer": 1, "ieri": 1, "ontem": 1, "gisteren": 1,
    "wczoraj": 1, "вчера": 1, "dün": 1, "昨日": 1, "昨天": 1, "어제": 1,
}  # fmt: skip
_DAY_WORD = re.compile(
    r"(?<!\w)(" + "|".join(map(re.escape, _DAY_WORDS)) + r")(?!\w)"
    r"(?:[\s,]*(?:um|at|à|a las|alle|om|в)?\s*(?P<time>[0-2]?\d[:.h][0-5]\d))?",
    re.IGNORECASE,
)


def find_relative_date(text: str, reference: datetime) -> datetime | None:
    """The moment a relative date in a short line means, counted back from ``reference``
    (the fetch time): "vor 3 Stunden", "2 hours ago", "il y a 5 min", "gestern um 14:07",
    "yesterday". A count back is aware like ``reference``; a day word gives the naive day
    (and wall clock), the page's zone being unknown. None when the line has none."""
    m = _DAY_WORD.search(text)
    # a day word alone or with a time: "hier" is also German "here", "today" a headline word
    if m and (m.group("time") or not re.sub(r"\W", "", text.replace(m.group(1), ""))):
        # a day (and a wall clock) in the page's zone, which is not known: naive
        day = (reference - timedelta(days=_DAY_WORDS[m.group(1).lower()])).replace(tzinfo=None)
        day = day.replace(hour=0, minute=0, second=0, microsecond=0)
        if m.group("time"):
            hour, minute = map(int, re.split(r"[:.h]", m.group("time")))
            if hour < 24:
                return day.replace(hour=hour, minute=minute)
        return day
    for m in _RELATIVE.finditer(text):
        lead = _RELATIVE_LEAD.search(text[: m.start()]) or m.group(0).lower().startswith(
            ("vor", "il y a", "hace", "há")
        )
        if not (lead or m.group("ago")):
            continue  # "3 Min. Lesedauer" is no date
        count = m.group("n").lower()
        n = int(count) if count.isdigit() else 1
        word = m.group("unit").lower()
        unit = next(u for u, words in _UNITS.items() if any(word.startswith(w) for w in words))
        return reference - timedelta(**{unit + "s": n})
    return None


# /2025/04/01/, /2025-04-01/, /20250401/ (a path segment of its own or its start)
_URL_DATE = re.compile(
    r"/((?:19|20)\d\d)(?:/(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])(?=/|$)"
    r"|-([01]\d)-([0-3]\d)(?=[/_-]|$)|([01]\d)([0-3]\d)(?=[/_-]|$))"
)


def date_from_url(url: str | None) -> datetime | None:
    """The day a URL's path gives (``/2025/04/01/``, ``/2025-04-01-slug``,
    ``/20250401/``), as a naive midnight; None when it gives no full day."""
    if not url:
        return None
    path = url.split("?", 1)[0].split("#", 1)[0]
    path = path.split("://", 1)[-1]
    path = path[path.find("/") :] if "/" in path else ""
    m = _URL_DATE.search(path)
    if not m:
        return None
    year = int(m.group(1))
    month = int(m.group(2) or m.group(4) or m.group(6))
    day = int(m.group(3) or m.group(5) or m.group(7))
    try:
        return datetime(year, month, day)
    except ValueError:
        return None


def split_offset(dt: datetime | None) -> tuple[datetime | None, int | None]:
    """(the instant in UTC, the page's UTC offset in minutes or None when it gave none).

    A local time without an offset is kept as written and labelled UTC: the offset
    column says it was not given."""
    if dt is None:
        return None, None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC), None
    offset = dt.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else None
    return dt.astimezone(UTC), minutes


# -- machine dates ---------------------------------------------------------------------------
def parse_listed_date(value: Any) -> datetime | None:
    """A sitemap lastmod (W3C datetime, possibly date only), an ISO 8601 feed date or an
    RFC 822 date as timezone-aware UTC; naive values are taken as UTC. None if unparsable."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    when: datetime | None = None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def parse_iso_utc(value: str | None) -> datetime | None:
    """An ISO 8601 value (as newsetl writes them) as aware UTC; naive ones taken as UTC."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def iso_offset_minutes(value: str | None) -> int | None:
    """The UTC offset in minutes an ISO 8601 value carries; None when it has none."""
    try:
        offset = datetime.fromisoformat((value or "").replace("Z", "+00:00")).utcoffset()
    except ValueError:
        return None
    return None if offset is None else int(offset.total_seconds() // 60)

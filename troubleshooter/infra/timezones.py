"""Time zones: Xero's organisation time zone (a Windows-style name such as
`NEWZEALANDSTANDARDTIME`) as an IANA zone a person's clock follows (`Pacific/Auckland`), and this
machine's own zone, for when the organisation's is not known (nothing connected).

The mapping is CLDR's windowsZones table as Babel ships it (Babel is kept up to date with
CLDR), not a hand-written one; Xero writes the Windows names in capitals without spaces, so
both sides are compared that way. The zone data itself comes from the system or the `tzdata`
package (zoneinfo). This machine's zone is found by tzlocal (the TZ variable, /etc/localtime,
/etc/timezone, the Windows registry, macOS's settings), where a hand-written lookup would know
only some of those.
"""

from __future__ import annotations

import functools
import os
import re
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _squeeze(name: str) -> str:
    return "".join(c for c in name if c.isalnum()).upper()


@functools.cache
def _windows_zones() -> dict[str, str]:
    from babel.core import get_global  # CLDR's windowsZones, as Babel ships it

    mapping = get_global("windows_zone_mapping")
    return {_squeeze(str(windows)): str(iana) for windows, iana in mapping.items()}


def iana_name(xero_timezone: str | None) -> str | None:
    """The IANA name for Xero's `Organisation.Timezone`; None when unknown or unmapped. An
    IANA name given as it is (`Pacific/Auckland`) is kept."""
    if not xero_timezone:
        return None
    if "/" in xero_timezone and zone(xero_timezone) is not None:
        return xero_timezone
    return _windows_zones().get(_squeeze(xero_timezone))


@functools.cache
def zone(iana: str | None) -> tzinfo | None:
    """The zone for an IANA name; None when absent or unknown here."""
    if not iana:
        return None
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError):
        return None


# -- this machine's zone ----------------------------------------------------------------------


@dataclass(frozen=True)
class LocalZone:
    """This machine's time zone, and how a person is told its name."""

    zone: tzinfo
    name: str  # "Pacific/Auckland"; "UTC+13:00" when only the offset is known


def local_zone() -> LocalZone:
    """This machine's zone: the TZ environment variable where it names an IANA zone, else the
    system's configured zone (/etc/localtime and the like), else the local UTC offset as it is
    now (a TZ that is set but is not an IANA name, such as `NZST-12NZDT`, is what the C library
    follows, so the offset it gives is right where /etc/localtime would not be)."""
    return _local_zone(os.environ.get("TZ"))


@functools.cache
def _local_zone(tz_variable: str | None) -> LocalZone:
    if tz_variable is not None:
        named = _iana_from_tz(tz_variable)
        if named is not None:
            return LocalZone(named, zone_label(named))
        return _offset_zone()
    named = _system_zone()
    if named is not None:
        return LocalZone(named, zone_label(named))
    return _offset_zone()


def _iana_from_tz(value: str) -> tzinfo | None:
    """The zone a TZ value names: `Pacific/Auckland`, `:Pacific/Auckland`, or a path into a
    zoneinfo folder; empty means UTC (as the C library reads it)."""
    name = value.strip().removeprefix(":")
    if not name:
        return zone("UTC")
    if "zoneinfo/" in name:
        name = name.split("zoneinfo/", 1)[1]
    if name.startswith("/") or ".." in name:
        return None
    return zone(name)


def _system_zone() -> tzinfo | None:
    """The zone the system is set to, by name; None when it cannot say (no configuration, or
    one that disagrees with itself)."""
    import tzlocal

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tzlocal warns where it then guesses: we do not
            name = tzlocal.get_localzone_name()
    except (ZoneInfoNotFoundError, LookupError, ValueError, OSError, UnicodeError):
        return None
    return zone(name) if name else None


def _offset_zone() -> LocalZone:
    """The local UTC offset as it is now (no daylight-saving rules: the last resort)."""
    here = datetime.now().astimezone().tzinfo
    assert here is not None  # astimezone() always gives a zone
    return LocalZone(here, zone_label(here))


def zone_label(zone_: tzinfo) -> str:
    """How a zone is named to a person: its IANA name, else its offset ("UTC+13:00")."""
    key = getattr(zone_, "key", None)
    if key:
        return str(key)
    offset = zone_.utcoffset(None)
    if offset is None:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    if not minutes:
        return "UTC"
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


_OFFSET_LABEL = re.compile(r"^UTC([+-])(\d{2}):(\d{2})$")


def zone_from_label(label: str | None) -> tzinfo | None:
    """The zone `zone_label` named: an IANA name, or a fixed offset ("UTC+13:00")."""
    if not label:
        return None
    if (match := _OFFSET_LABEL.match(label)) is not None:
        sign = 1 if match[1] == "+" else -1
        minutes = int(match[2]) * 60 + int(match[3])
        return timezone(sign * timedelta(minutes=minutes)) if minutes < 24 * 60 else None
    return zone(label)

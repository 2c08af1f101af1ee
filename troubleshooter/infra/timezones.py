"""Time zones: Xero's organisation time zone (a Windows-style name such as
`NEWZEALANDSTANDARDTIME`) as an IANA zone a person's clock follows (`Pacific/Auckland`).

The mapping is CLDR's windowsZones table as Babel ships it (Babel is kept up to date with
CLDR), not a hand-written one; Xero writes the Windows names in capitals without spaces, so
both sides are compared that way. The zone data itself comes from the system or the `tzdata`
package (zoneinfo).
"""

from __future__ import annotations

import functools
from datetime import tzinfo
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

"""The chain's clocks: ApprovalMax pulls from Xero every 2 hours, Dext from ApprovalMax daily."""

from __future__ import annotations

from datetime import datetime, timedelta

APPROVALMAX_PERIOD = timedelta(hours=2)
DEXT_PERIOD = timedelta(hours=24)

# How old a last run may be before the job counts as stalled rather than late. ApprovalMax:
# three 2-hourly syncs missed in a row (one may slip behind Xero's rate limits; three do not).
# Dext: a day and a grace of three hours.
APPROVALMAX_OVERDUE_AFTER = 3 * APPROVALMAX_PERIOD
DEXT_OVERDUE_AFTER = DEXT_PERIOD + timedelta(hours=3)


def tick_at_or_after(moment: datetime, anchor: datetime, period: timedelta) -> datetime:
    """The first run of a job that runs every `period` and ran at `anchor`, at or after
    `moment` (which may lie before or after the anchor)."""
    if moment >= anchor:
        return anchor + period * -(-(moment - anchor) // period)
    return anchor - period * ((anchor - moment) // period)


def overdue(last: datetime | None, after: timedelta, now: datetime) -> bool | None:
    """Whether a job that last ran at `last` has gone more than `after` without running
    (None: when it last ran is not known)."""
    return None if last is None else now - last > after


def next_run(last: datetime | None, period: timedelta, now: datetime) -> datetime | None:
    """A periodic job's next run at or after `now`; its last run if that is later still."""
    if last is None:
        return None
    return last if last >= now else tick_at_or_after(now, last, period)

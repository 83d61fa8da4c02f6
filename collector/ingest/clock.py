"""Times an agent reports, checked against the collector's clock before they order anything.

The collector orders what agents send by the agents' own times: a report collected before
what the asset shows is "historical", a device keeps its latest sighting, a scan profile its
latest report. One report dated 2099 would therefore win every later comparison and freeze
the asset (issue 16). Times later than the collector's clock plus ``max_clock_skew_s`` are
refused with a 422 naming the field, so the agent's operator sees the bad clock; nothing
is clamped, because a guessed time would order the report wrongly all the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from collector.errors import FieldError, InvalidInput
from common.schema import CheckinRequest, DiscoveryReport

__all__ = ["checkin_times", "discovery_times", "refuse_future_times"]

_MAX_FIELDS = 50  # as many as a validation error names


def refuse_future_times(times: Iterable[tuple[str, datetime | None]], now: datetime, max_skew_s: int) -> None:
    """Raise InvalidInput naming every time later than ``now`` plus the allowed skew."""
    limit = now + timedelta(seconds=max_skew_s)
    problems = [
        FieldError(name, f"{value.isoformat()} is ahead of the collector's clock ({now.isoformat(timespec='seconds')}) "
                         f"by more than the allowed {max_skew_s} s; check the agent's clock (NTP)")
        for name, value in times if value is not None and value > limit
    ][:_MAX_FIELDS]
    if problems:
        raise InvalidInput("report time is in the future", problems)


def discovery_times(report: DiscoveryReport) -> Iterator[tuple[str, datetime]]:
    yield "started_at", report.started_at
    yield "finished_at", report.finished_at
    for index, device in enumerate(report.devices):
        yield f"devices.{index}.seen_at", device.seen_at


def checkin_times(checkin: CheckinRequest) -> Iterator[tuple[str, datetime | None]]:
    # Not an ordering key, but a future "last success" would hide a failing agent for good.
    yield "last_success_at", checkin.last_success_at

"""Charts for the transparency page, laid out here and drawn by the template as inline SVG:
two lines (revoked, suspended) over time, with a one-sentence summary and the numbers as a
table, so a person who cannot see the chart reads the same thing."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Final

from ledger.transparency.tally import Counts

WIDTH: Final = 640
HEIGHT: Final = 220
LEFT: Final = 56  # room for the y axis labels
RIGHT: Final = 16
TOP: Final = 16
BOTTOM: Final = 36  # room for the x axis labels
# Rows of the table under a chart: enough to follow the trend, few enough to read.
TABLE_ROWS: Final = 7


@dataclass(frozen=True, slots=True)
class Row:
    time: str
    lists: int
    places: int
    revoked: int
    suspended: int


@dataclass(frozen=True, slots=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    summary: str
    revoked: str  # SVG polyline points
    suspended: str
    ticks: tuple[Tick, ...]
    start: str
    end: str
    rows: tuple[Row, ...]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    bottom_edge: int = HEIGHT - BOTTOM
    top: int = TOP


def day(ts: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


def moment(ts: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts))


def nice_top(value: int) -> int:
    """The y axis' top: ``value`` rounded up to 1, 2 or 5 times a power of ten (at least 1)."""
    top = 1
    while True:
        for step in (1, 2, 5):
            if top * step >= value:
                return top * step
        top *= 10


def chart(name: str, samples: list[tuple[int, Counts]]) -> Chart:
    """The chart of ``name``'s counts at ``samples`` (evenly spaced times, oldest first)."""
    title = f"Revoked and suspended credentials of {name} over time"
    if not samples:
        return Chart(title, f"{name} has published no status list.", "", "", (), "", "", ())
    top = nice_top(max(max(c.revoked, c.suspended) for _, c in samples))
    start, end = samples[0][0], samples[-1][0]
    span = max(end - start, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def point(ts: int, value: int) -> str:
        x = LEFT + plot_w * (ts - start) / span
        y = TOP + plot_h * (1 - value / top)
        return f"{x:.1f},{y:.1f}"

    ticks = tuple(
        Tick(TOP + plot_h * (1 - fraction), str(round(top * fraction)))
        for fraction in (0.0, 0.5, 1.0)
        if fraction == 0.0 or top * fraction == int(top * fraction)
    )
    first, last = samples[0][1], samples[-1][1]
    short = end - start < 2 * 86400
    label = moment if short else day
    summary = (
        f"From {label(start)} to {label(end)} UTC, revoked went from {first.revoked} to "
        f"{last.revoked} and suspended from {first.suspended} to {last.suspended}, on "
        f"{last.lists} status list{'s' if last.lists != 1 else ''} of {last.places} places."
    )
    step = max(1, (len(samples) - 1) // (TABLE_ROWS - 1))
    picked = samples[::step]
    if picked[-1] is not samples[-1]:
        picked.append(samples[-1])
    rows = tuple(Row(label(ts), c.lists, c.places, c.revoked, c.suspended) for ts, c in picked)
    return Chart(
        title=title,
        summary=summary,
        revoked=" ".join(point(ts, c.revoked) for ts, c in samples),
        suspended=" ".join(point(ts, c.suspended) for ts, c in samples),
        ticks=ticks,
        start=label(start),
        end=label(end),
        rows=rows,
    )

"""Charts for the transparency page, laid out here and drawn by the template as inline SVG:
lines over time (revoked and suspended, or redemptions), with a one-sentence summary and the
numbers as a table, so a person who cannot see the chart reads the same thing."""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from ledger.transparency.numbers import count

WIDTH: Final = 640
HEIGHT: Final = 220
LEFT: Final = 56  # room for the y axis labels (at least: ``room_for``)
RIGHT: Final = 16
TOP: Final = 16
BOTTOM: Final = 36  # room for the x axis labels
# The axis labels' largest size, in the drawing's units: on the narrowest phones the drawing
# is scaled down to ~0.4, so transparency.css sets them this large there to read at ~11 px.
AXIS_UNITS_MAX: Final = 28
# A digit's width in em, generous (system-ui's are ~0.55): the y labels' room is sized by it.
DIGIT_EM: Final = 0.62
TICK_GAP: Final = 8  # between a y label and the plot
# Rows of the table under a chart: enough to follow the trend, few enough to read.
TABLE_ROWS: Final = 7


@dataclass(frozen=True, slots=True)
class Line:
    key: str  # the count it draws
    label: str  # its name in the legend, the summary and the table
    css: str  # its class: colour and dash (two lines never differ by colour alone)


# Status entries, not credentials: a credential has one per copy a wallet holds.
REVOKED: Final = Line("revoked", "Revoked entries", "line-revoked")
SUSPENDED: Final = Line("suspended", "Suspended entries", "line-suspended")
REDEEMED: Final = Line("redeemed", "Redeemed", "line-redeemed")


@dataclass(frozen=True, slots=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True, slots=True)
class Drawn:
    line: Line
    points: str  # SVG polyline points


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    summary: str
    lines: tuple[Drawn, ...]
    ticks: tuple[Tick, ...]
    start: str
    end: str
    columns: tuple[str, ...]  # the table's columns after the time
    rows: tuple[tuple[str, tuple[int, ...]], ...]  # (time, values) per row
    left: int = LEFT
    width: int = WIDTH
    height: int = HEIGHT
    right_edge: int = WIDTH - RIGHT
    bottom_edge: int = HEIGHT - BOTTOM
    top: int = TOP


def day(ts: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


def moment(ts: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts))


def room_for(label: str) -> int:
    """The left margin that holds the y label ``label`` whole at its largest size."""
    return max(LEFT, math.ceil(len(label) * DIGIT_EM * AXIS_UNITS_MAX) + TICK_GAP)


def nice_top(value: int) -> int:
    """The y axis' top: ``value`` rounded up to 1, 2 or 5 times a power of ten (at least 1)."""
    top = 1
    while True:
        for step in (1, 2, 5):
            if top * step >= value:
                return top * step
        top *= 10


def chart(
    title: str,
    samples: Sequence[tuple[int, Mapping[str, int]]],
    lines: Sequence[Line],
    table: Sequence[tuple[str, str]],
    empty: str,
) -> Chart:
    """The chart of ``lines`` at ``samples`` (evenly spaced times, oldest first); the table
    shows the ``table`` counts (key, column name)."""
    columns = tuple(name for _, name in table)
    if not samples:
        return Chart(title, empty, (), (), "", "", columns, ())
    top = nice_top(max(counts[line.key] for _, counts in samples for line in lines))
    left = room_for(count(top))  # the widest y label is the top one
    start, end = samples[0][0], samples[-1][0]
    span = max(end - start, 1)
    plot_w, plot_h = WIDTH - left - RIGHT, HEIGHT - TOP - BOTTOM

    def point(ts: int, value: int) -> str:
        x = left + plot_w * (ts - start) / span
        y = TOP + plot_h * (1 - value / top)
        return f"{x:.1f},{y:.1f}"

    ticks = tuple(
        Tick(TOP + plot_h * (1 - fraction), count(round(top * fraction)))
        for fraction in (0.0, 0.5, 1.0)
        if fraction == 0.0 or top * fraction == int(top * fraction)
    )
    first, last = samples[0][1], samples[-1][1]
    label = moment if end - start < 2 * 86400 else day
    changes = " and ".join(
        f"{line.label.lower()} went from {count(first[line.key])} to {count(last[line.key])}"
        for line in lines
    )
    summary = f"From {label(start)} to {label(end)} UTC, {changes}."
    step = max(1, (len(samples) - 1) // (TABLE_ROWS - 1))
    picked = list(samples[::step])
    if picked[-1] is not samples[-1]:
        picked.append(samples[-1])
    rows = tuple((label(ts), tuple(c[key] for key, _ in table)) for ts, c in picked)

    def steps(key: str) -> str:
        """A count holds until it changes: drawn as steps, never as a slope between samples."""
        points = [point(samples[0][0], samples[0][1][key])]
        for (_, before), (ts, counts) in itertools.pairwise(samples):
            if counts[key] != before[key]:
                points.append(point(ts, before[key]))
            points.append(point(ts, counts[key]))
        return " ".join(points)

    drawn = tuple(Drawn(line, steps(line.key)) for line in lines)
    return Chart(title, summary, drawn, ticks, label(start), label(end), columns, rows, left)

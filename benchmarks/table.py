"""One table for every benchmark: metric, measured value, target, and whether it is met."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Row:
    part: str
    metric: str
    value: float
    unit: str
    target: str = ""
    met: bool | None = None


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, or NaN where the denominator read zero.

    CPU read from /proc counts clock ticks (10 ms): a smoke run's few requests can read none.
    """
    return numerator / denominator if denominator else math.nan


def render(rows: list[Row]) -> str:
    header = ("part", "metric", "value", "target", "met")
    lines = [
        (
            r.part,
            r.metric,
            f"{r.value:,.3f} {r.unit}".replace(".000 ", " "),
            r.target,
            "" if r.met is None else ("yes" if r.met else "NO"),
        )
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines, strict=False)]
    out = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out.append("-+-".join("-" * w for w in widths))
    out += [
        " | ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines
    ]
    return "\n".join(out)

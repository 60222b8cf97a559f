"""The transparency page's charts on a phone (390 px): the axis labels (counts, times) are
text a person reads, not ~6 px scaled down with the drawing; each lies whole inside its
chart, and the start and end times do not run into each other. Screenshot: look at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from ledger.transparency import charts as drawn
from tests.browser import loopback_page, screenshots
from tests.transparency.test_page_in_a_browser import ledger_url  # noqa: F401  (the fixture)

# The smallest axis text that reads on a phone held at arm's length, in CSS pixels (the
# page's own small print is 0.85rem, 13.6 px; the legend under a chart 14.4 px).
MIN_AXIS_PX = 11
# A small phone, a common one, a tablet, a desk.
WIDTHS = (320, 390, 600, 1280)

# Each axis label's size on screen (its font size times the drawing's scale) and box, and
# its chart's box.
LABELS_JS = """
() => [...document.querySelectorAll("svg.plot")].map((svg) => ({
  box: svg.getBoundingClientRect().toJSON(),
  labels: [...svg.querySelectorAll("text.axis")].map((t) => ({
    text: t.textContent,
    px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a,
    box: t.getBoundingClientRect().toJSON(),
  })),
}))
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Page]:
    with loopback_page(*WIDTHS[:1], 844) as (page, _):
        yield page


@pytest.mark.parametrize("width", WIDTHS)
def test_axis_labels_read_at_every_width(
    ledger_url: str,  # noqa: F811
    browser: Page,
    tmp_path: Path,
    width: int,
) -> None:
    phone = browser
    phone.set_viewport_size({"width": width, "height": 844})
    phone.goto(ledger_url + "/transparency")
    charts: list[dict[str, Any]] = phone.evaluate(LABELS_JS)
    assert charts and all(chart["labels"] for chart in charts)
    for n, chart in enumerate(charts):
        phone.locator("svg.plot").nth(n).screenshot(
            path=str(screenshots(tmp_path) / f"transparency-chart-{n}-{width}.png")
        )
        svg = chart["box"]
        for label in chart["labels"]:
            assert label["px"] >= MIN_AXIS_PX, label
            box = label["box"]
            assert box["left"] >= svg["left"] - 0.5 and box["right"] <= svg["right"] + 0.5, label
            assert box["top"] >= svg["top"] - 0.5 and box["bottom"] <= svg["bottom"] + 0.5, label
        start, end = chart["labels"][-2]["box"], chart["labels"][-1]["box"]  # the times
        assert start["right"] < end["left"], chart["labels"][-2:]


def test_the_room_for_the_counts_grows_with_the_largest() -> None:
    def of(most: int) -> drawn.Chart:
        samples = [(0, {"revoked": 3}), (60, {"revoked": most})]
        return drawn.chart("t", samples, [drawn.REVOKED], [], "none")

    small, large = of(20), of(9_999)
    assert small.left == drawn.LEFT  # "20": the least room
    # "10,000" at the largest axis size, and the gap to the plot.
    assert large.left >= len("10,000") * 0.55 * drawn.AXIS_UNITS_MAX + 8 > drawn.LEFT
    assert large.lines[0].points.startswith(f"{large.left:.1f},")  # the plot starts there

"""A real headless browser for the pages' tests: Playwright driving Debian's Chromium (``make
test`` installs it), allowed to fetch from loopback only; screenshots, polling under a strict
CSP, and WCAG contrast, the same for the desk's page and the transparency page."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from playwright.sync_api import Page, Route, sync_playwright

CHROMIUM: Final = "/usr/bin/chromium"
ARGS: Final = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK: Final = "http://127.0.0.1"
# Where screenshots go: CIVICID_SCREENSHOTS to keep them, else the test's tmp dir.
SHOTS_ENV: Final = "CIVICID_SCREENSHOTS"
# WCAG 2.2 SC 1.4.3: normal text needs 4.5:1 against its background.
MIN_CONTRAST: Final = 4.5

CONTRAST_JS: Final = """
(selector) => {
  const el = document.querySelector(selector);
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => {
    const [r, g, b] = rgb(c).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  let node = el, bg = "rgba(0, 0, 0, 0)";
  while (node && (bg === "rgba(0, 0, 0, 0)" || bg === "transparent")) {
    bg = getComputedStyle(node).backgroundColor;
    node = node.parentElement;
  }
  if (bg === "rgba(0, 0, 0, 0)") bg = "rgb(255, 255, 255)";
  const a = lum(getComputedStyle(el).color), b = lum(bg);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}
"""


@contextmanager
def loopback_page(width: int, height: int) -> Iterator[tuple[Page, list[str]]]:
    """A page ``width`` x ``height`` that may fetch from loopback only; the URLs it tried to
    fetch elsewhere (each refused)."""
    elsewhere: list[str] = []

    def only_loopback(route: Route) -> None:
        if route.request.url.startswith(LOOPBACK):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            context.route("**/*", only_loopback)
            yield context.new_page(), elsewhere
        finally:
            browser.close()


def screenshots(tmp_path: Path) -> Path:
    """Where a test keeps its screenshots (``CIVICID_SCREENSHOTS``, else ``tmp_path``)."""
    target = Path(os.environ.get(SHOTS_ENV) or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


def until(page: Page, script: str, timeout: float = 15.0) -> None:
    """Poll ``script`` from here: the pages' CSP forbids the eval wait_for_function uses."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script):
        assert time.monotonic() < deadline, f"timed out waiting for {script}"
        page.wait_for_timeout(50)


def contrast(page: Page, selector: str) -> float:
    """The WCAG contrast ratio of the first ``selector``'s text against its background."""
    return float(page.evaluate(CONTRAST_JS, selector))

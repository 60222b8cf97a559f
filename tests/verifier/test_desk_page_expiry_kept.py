"""The desk's page keeps saying when the code expires once the clerk copies the link: "Link
copied. Waiting for the wallet…" replaced "(the code expires at …)", and the clerk had no
way left to see how long the code shown is good for."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from tests.browser import loopback_page
from tests.verifier.loopback import Desk
from tests.verifier.world import World


@pytest.fixture
def page() -> Iterator[Page]:
    with loopback_page(1100, 900) as (page, _):
        yield page


def shown_code(desk: Desk, page: Page) -> str:
    page.goto(desk.url + "/")
    page.select_option("#policy", "housing-benefit")
    page.click("#go")
    page.locator("#qr").wait_for(state="visible")
    status = page.locator("#status").inner_text()
    assert status.startswith("Waiting for the wallet… (the code expires at "), status
    return status.removeprefix("Waiting for the wallet…")


def test_copied_it_still_says_when_the_code_expires(world: World, desk: Desk, page: Page) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    expiry = shown_code(desk, page)
    page.click("#copy")
    page.wait_for_function("() => /copied/.test(document.getElementById('status').textContent)")
    assert page.locator("#status").inner_text() == "Link copied. Waiting for the wallet…" + expiry


def test_selected_for_copying_it_still_says_when_the_code_expires(
    world: World, desk: Desk, page: Page
) -> None:
    page.add_init_script(
        "Object.defineProperty(navigator, 'clipboard', {value: undefined, configurable: true})"
    )
    expiry = shown_code(desk, page)
    page.click("#copy")
    status = page.locator("#status").inner_text()
    assert "press Ctrl+C" in status and status.endswith("Waiting for the wallet…" + expiry)

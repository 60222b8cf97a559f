"""A wallet that sends nothing, in the desk page's "Every check": its answer is the wallet's,
not a check that failed. It read "Failed: Authorization response [response_error]" in the
failure's red, under "Nothing was shared", as if something had gone wrong at the desk."""

from __future__ import annotations

import threading

from playwright.sync_api import Page

from tests.verifier import test_desk_page
from tests.verifier.loopback import Desk
from tests.verifier.test_desk_page_wallet_declined import wallet_declines
from tests.verifier.world import World

page = test_desk_page.page


def test_the_wallets_answer_is_not_a_failed_check(world: World, desk: Desk, page: Page) -> None:
    page.goto(desk.url + "/")
    page.select_option("#policy", "housing-benefit")
    page.click("#go")
    link = page.locator("#link")
    link.wait_for(state="visible")
    args = (world, desk, link.inner_text(), "access_denied")
    thread = threading.Thread(target=wallet_declines, args=args)
    thread.start()
    thread.join(timeout=30)
    page.locator("#verdict.none").wait_for(timeout=15_000)
    page.locator("#steps-box summary").click()
    first = page.locator("#steps li").first
    assert first.inner_text().startswith("The wallet's answer: Authorization response")
    assert first.get_attribute("class") == "skipped"
    assert page.locator("#steps li.failed").count() == 0

"""A wallet that sends nothing tells the desk (OpenID4VP §8.5 error response,
``access_denied``), and the desk's page says so at once: it said "Waiting for the wallet…"
until the code expired. The page says "Nothing was shared", not "Not eligible" (no check
ran on the citizen), and does not say which of declining or holding no card it was: the
wallet's answer does not say either."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page

from civicid.http import HttpClient
from civicid.ledger_client import LedgerClient
from civicid.oid4vp import parse_link, verify_request_object
from tests.browser import MIN_CONTRAST, contrast
from tests.verifier import test_desk_page
from tests.verifier.loopback import Desk
from tests.verifier.world import World, settings_for
from verifier.service import checkpoint_key

# The desk page's own fixtures: a page that fetches from the desk alone, and where its
# screenshots are kept.
page, shots = test_desk_page.page, test_desk_page.shots


def wallet_declines(world: World, desk: Desk, link: str, error: str) -> None:
    """What a wallet does when it will send nothing: the request fetched and checked, then
    the error and the request's state to its response_uri."""
    ledger = LedgerClient(desk.ledger_url, checkpoint_key(settings_for(world.root)))
    now = desk.clock.now
    with HttpClient() as http:
        token = http.get(parse_link(link).request_uri)
        token.raise_for_error()
    request = verify_request_object(
        token.text, lambda kid: ledger.key_in_force(kid, now, "authentication"), now=now
    )
    answer = httpx.post(
        request.response_uri, data={"state": request.state, "error": error}, timeout=10
    )
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("error", "said"),
    [
        ("access_denied", "the citizen declined, or holds no card this check accepts"),
        ("invalid_request", "refused the request and sent nothing"),
    ],
)
def test_the_page_says_the_wallet_sent_nothing(
    world: World, desk: Desk, page: Page, shots: Path, error: str, said: str
) -> None:
    page.goto(desk.url + "/")
    page.select_option("#policy", "housing-benefit")
    page.click("#go")
    link = page.locator("#link")
    link.wait_for(state="visible")
    thread = threading.Thread(target=wallet_declines, args=(world, desk, link.inner_text(), error))
    thread.start()
    thread.join(timeout=30)
    page.locator("#verdict.none").wait_for(timeout=15_000)
    assert page.locator("#verdict").inner_text() == "Nothing was shared"
    reason = page.locator("#reason").inner_text()
    assert said in reason and "Not eligible" not in reason, reason
    # One message: "No claim was received." under it repeated "Nothing was shared".
    assert page.locator("#received").is_hidden()
    assert contrast(page, "#verdict") >= MIN_CONTRAST
    page.screenshot(path=str(shots / f"desk-wallet-sent-nothing-{error}.png"), full_page=True)

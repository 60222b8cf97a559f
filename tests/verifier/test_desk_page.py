"""The desk's page in a real headless browser (Playwright driving Debian's Chromium): a clerk
using only the keyboard picks a policy, the QR code and link appear, a wallet answers, and the
decision shows in plain words; colours meet WCAG AA contrast; screenshots are kept."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from civicid import words
from civicid.dcql import ClaimPath
from tests.browser import MIN_CONTRAST, contrast, loopback_page, screenshots, until
from tests.verifier.loopback import Desk, wallet_answer
from tests.verifier.world import CLAIMS, NESTED_PARENT, REVOKED, World


@pytest.fixture
def page() -> Iterator[Page]:
    """A page that may fetch from the desk itself only (anything else is refused)."""
    with loopback_page(1100, 900) as (page, _):
        yield page


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    return screenshots(tmp_path)


def answer_when_shown(
    world: World,
    desk: Desk,
    page: Page,
    credential: str | None = None,
    also: tuple[ClaimPath, ...] = (),
) -> threading.Thread:
    """Play the wallet once the page shows the link (in a thread: the page keeps polling)."""
    link = page.locator("#link")
    link.wait_for(state="visible")
    text = link.inner_text()
    thread = threading.Thread(target=wallet_answer, args=(world, desk, text, credential, also))
    thread.start()
    return thread


def test_keyboard_only_eligible(world: World, desk: Desk, page: Page, shots: Path) -> None:
    external: list[str] = []
    page.on("requestfailed", lambda request: external.append(request.url))
    page.goto(desk.url + "/")
    page.screenshot(path=str(shots / "desk-1-start.png"), full_page=True)
    # Keyboard only: Tab to the skip link, then to the policy list, choose, Tab, Enter.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "policy"
    page.select_option("#policy", "housing-benefit")  # what arrow keys do on a focused <select>
    # Claims in people's words, not their names on the wire.
    assert page.locator("#asks").inner_text() == "Resident, Age 18 or over"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "go"
    page.keyboard.press("Enter")
    page.locator("#qr").wait_for(state="visible")
    until(page, "() => document.getElementById('qr').naturalWidth > 0")
    assert page.evaluate("document.activeElement.id") == "copy"
    assert page.locator("#link").inner_text().startswith("openid4vp://")
    # While the code shows, the policy it asks for cannot be changed under it, nor a second
    # code asked for beside it: "New check" is the way to another.
    assert page.locator("#policy").is_disabled() and not page.locator("#go").is_visible()
    page.screenshot(path=str(shots / "desk-2-qr.png"), full_page=True)
    # Issued as the real issuer does (the parent object a Disclosure too), and a careless
    # wallet sends the given name besides: the page names only what the policy asked.
    credential = world.credential(disclosable=NESTED_PARENT)
    answer_when_shown(world, desk, page, credential, also=(("given_name",),)).join(timeout=30)
    page.locator("#verdict.yes").wait_for(timeout=15_000)
    assert page.locator("#verdict").inner_text() == "Eligible"
    assert page.evaluate("document.activeElement.id") == "result-title"
    received = page.locator("#received").inner_text()
    assert received == "Claims received: Resident, Age 18 or over"  # as "Asks for" says
    page.locator("#steps-box summary").click()
    steps = page.locator("#steps").inner_text()
    assert "Required claims disclosed — Resident, Age 18 or over" in steps
    # Every condition in the kernel's words, which the wallet shows for the same rule.
    policy = desk.verifier.policies["housing-benefit"]
    said = "; ".join(words.condition(p) for p in policy.predicates)
    assert said == "Resident must be yes; Age 18 or over"
    assert f"Policy conditions met — {said}" in steps
    assert "age_equal_or_over" not in steps and "is True" not in steps
    # The header step in a clerk's words, not JOSE's ("typ", "algorithm").
    assert "Passed: Credential format and signature method — ES256" in steps
    assert "typ" not in steps.replace("type", "")
    # After a decision the one way on is a new check: no "Show QR code" beside it, and the
    # policy the decision was made for is shown but cannot be changed under it.
    assert page.locator("#again").is_visible()
    assert not page.locator("#go").is_visible()
    assert page.locator("#policy").is_disabled()
    page.screenshot(path=str(shots / "desk-3-eligible.png"), full_page=True)
    for selector in ("#verdict", "#reason", ".purpose", "button#again", ".bar h1", ".foot p"):
        ratio = contrast(page, selector)
        assert ratio >= MIN_CONTRAST, (selector, ratio)
    # "Start a new check" by the keyboard clears the decision; the policy can be chosen again.
    page.focus("#again")
    page.keyboard.press("Enter")
    page.locator("#result").wait_for(state="hidden")
    assert page.evaluate("document.activeElement.id") == "policy"
    assert page.locator("#go").is_visible() and page.locator("#policy").is_enabled()
    page.screenshot(path=str(shots / "desk-3b-new-check.png"), full_page=True)
    assert not external


def test_not_eligible_in_plain_words(world: World, desk: Desk, page: Page, shots: Path) -> None:
    page.goto(desk.url + "/")
    page.select_option("#policy", "housing-benefit")
    page.click("#go")
    link = page.locator("#link")
    link.wait_for(state="visible")
    answer_when_shown(world, desk, page, world.credential(index=REVOKED)).join(timeout=30)
    page.locator("#verdict.no").wait_for(timeout=15_000)
    assert page.locator("#verdict").inner_text() == "Not eligible"
    reason = page.locator("#reason").inner_text()
    assert "revoked" in reason
    assert reason.endswith("(failed check: “Not revoked or suspended”, code status_revoked)")
    page.locator("#steps-box summary").click()
    assert (
        "Failed: Not revoked or suspended [status_revoked]" in page.locator("#steps").inner_text()
    )
    page.screenshot(path=str(shots / "desk-4-not-eligible.png"), full_page=True)
    for selector in ("#verdict", "#steps li.failed", "#steps li.skipped"):
        ratio = contrast(page, selector)
        assert ratio >= MIN_CONTRAST, (selector, ratio)


def test_a_condition_not_met_in_words(world: World, desk: Desk, page: Page, shots: Path) -> None:
    page.goto(desk.url + "/")
    page.select_option("#policy", "housing-benefit")
    page.click("#go")
    credential = world.credential(claims={**CLAIMS, "resident": False})
    answer_when_shown(world, desk, page, credential).join(timeout=30)
    page.locator("#verdict.no").wait_for(timeout=15_000)
    reason = page.locator("#reason").inner_text()
    assert "predicate_failed" in reason and "is True" not in reason
    # Which condition, in the reason itself: what the clerk tells the citizen.
    assert "conditions. Not met: Resident must be yes. (failed check" in reason, reason
    page.locator("#steps-box summary").click()
    failed = page.locator("#steps li.failed").inner_text()
    assert failed.endswith("not met: Resident must be yes"), failed
    page.screenshot(path=str(shots / "desk-5-condition-not-met.png"), full_page=True)


def test_fits_a_phone_screen(world: World, desk: Desk, page: Page, shots: Path) -> None:
    """Long words (the desk's DID, the issuer's, the type's URL) wrap inside their panels:
    nothing is wider than a 360-pixel screen."""
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(desk.url + "/")
    page.select_option("#policy", "housing-benefit")
    page.click("#go")
    answer_when_shown(world, desk, page, world.credential()).join(timeout=30)
    page.locator("#verdict.yes").wait_for(timeout=15_000)
    page.locator("#steps-box summary").click()
    page.screenshot(path=str(shots / "desk-6-phone.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width


def test_an_expired_code_is_taken_away(world: World, desk: Desk, page: Page, shots: Path) -> None:
    """Once the request expired its code can no longer be answered: it is no longer shown
    (nobody scans it), the page says so, and the way on has the focus."""
    page.goto(desk.url + "/")
    page.select_option("#policy", "housing-benefit")
    page.click("#go")
    page.locator("#qr").wait_for(state="visible")
    desk.clock.now += 24 * 3600  # long past any request's lifetime
    until(page, "() => document.getElementById('status').textContent.includes('expired')")
    page.screenshot(path=str(shots / "desk-7-expired.png"), full_page=True)
    status = page.locator("#status").inner_text()
    assert "can no longer be used" in status, status
    assert not page.locator("#qr").is_visible() and not page.locator("#link").is_visible()
    assert not page.locator("#copy").is_visible()
    # No code is left to scan: the heading does not ask anyone to scan one.
    assert page.locator("#request-title").inner_text() == "2. The code expired"
    assert page.evaluate("document.activeElement.id") == "cancel"
    assert page.locator("#cancel").inner_text() == "Start a new check"
    page.keyboard.press("Enter")
    page.locator("#request").wait_for(state="hidden")
    assert page.evaluate("document.activeElement.id") == "policy"
    assert page.locator("#go").is_visible() and page.locator("#policy").is_enabled()
    assert page.locator("#cancel").inner_text() == "New check"
    # A new code is headed as the first was.
    page.click("#go")
    page.locator("#qr").wait_for(state="visible")
    title = page.locator("#request-title").inner_text()
    assert title == "2. The citizen scans this code with their wallet"


def test_a_request_that_cannot_be_made_shows_no_old_code(
    world: World, desk: Desk, page: Page, shots: Path
) -> None:
    """The desk service refuses a new request: the page says so beside the button, and the
    previous request's code is not left on screen to be scanned."""
    page.goto(desk.url + "/")
    page.select_option("#policy", "housing-benefit")
    page.click("#go")
    page.locator("#qr").wait_for(state="visible")
    page.click("#cancel")
    page.locator("#request").wait_for(state="hidden")
    refusal = '{"error": "database_lost", "error_description": "the store cannot be reached"}'
    page.route(
        "**/requests",
        lambda route: route.fulfill(status=503, content_type="application/json", body=refusal),
    )
    page.click("#go")
    page.locator("#start-error").wait_for(state="visible")
    page.screenshot(path=str(shots / "desk-8-not-created.png"), full_page=True)
    said = page.locator("#start-error").inner_text()
    assert said == "Could not create the request: the store cannot be reached. Try again.", said
    assert not page.locator("#request").is_visible() and not page.locator("#qr").is_visible()
    assert page.evaluate("document.activeElement.id") == "go"
    assert page.locator("#policy").is_enabled()
    assert contrast(page, "#start-error") >= MIN_CONTRAST
    page.unroute("**/requests")
    page.click("#go")  # the service answers again: the message goes, a new code comes
    page.locator("#qr").wait_for(state="visible")
    assert not page.locator("#start-error").is_visible()


def test_copy_where_the_browser_gives_no_clipboard_selects_the_link(
    world: World, desk: Desk, page: Page
) -> None:
    """A desk served over plain http has no clipboard API: "Copy link" selects the link and
    says how to copy it, rather than doing nothing."""
    page.add_init_script(
        "Object.defineProperty(navigator, 'clipboard', {value: undefined, configurable: true})"
    )
    page.goto(desk.url + "/")
    page.select_option("#policy", "housing-benefit")
    page.click("#go")
    page.locator("#qr").wait_for(state="visible")
    page.click("#copy")
    status = page.locator("#status").inner_text()
    assert "press Ctrl+C" in status, status
    selected = page.evaluate("window.getSelection().toString()")
    assert selected == page.locator("#link").inner_text()


def test_a_request_refused_for_a_while_says_when_once(world: World, desk: Desk, page: Page) -> None:
    """The desk's bound on requests (client_requests_full) says when to try again: the page
    does not add "Try again." after it."""
    page.goto(desk.url + "/")
    refusal = (
        '{"error": "client_requests_full", "error_description": "this client started 50'
        ' requests in the last few minutes, the most the desk takes; try again in 240 s"}'
    )
    page.route(
        "**/requests",
        lambda route: route.fulfill(status=429, content_type="application/json", body=refusal),
    )
    page.click("#go")
    page.locator("#start-error").wait_for(state="visible")
    said = page.locator("#start-error").inner_text()
    assert said == (
        "Could not create the request: this client started 50 requests in the last few"
        " minutes, the most the desk takes; try again in 240 s."
    ), said

"""The transparency page in a real headless browser (Playwright driving Debian's Chromium):
the "check a record" form verifies a genuine entry in the browser, and fails on a tampered
entry, a tampered proof and a forged checkpoint signature; keyboard only; colours meet WCAG
AA contrast; nothing is fetched but from the ledger; screenshots at desk and phone width."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

import pytest
from playwright.sync_api import Page, Route

from cli.harness import free_port, serving
from ledger.app import create_app
from ledger.settings import LedgerSettings
from tests.browser import MIN_CONTRAST, contrast, loopback_page, screenshots, until
from tests.ledger.conftest import World
from tests.transparency.stories import populate, redeem, rules_and_redemptions
from tests.transparency.test_hostile_strings import NAME, hostile_world


@pytest.fixture
def ledger_url(world: World) -> Iterator[str]:
    cast = populate(world)
    redeem(world, cast, rules_and_redemptions(world, cast))
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with serving(app, free_port()) as url:
        yield url


@pytest.fixture
def hostile_url(world: World) -> Iterator[str]:
    hostile_world(world)
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with serving(app, free_port()) as url:
        yield url


@pytest.fixture
def browser_page() -> Iterator[tuple[Page, list[str]]]:
    """A page that may fetch from the loopback ledger only; the URLs it tried elsewhere."""
    with loopback_page(1200, 900) as (page, elsewhere):
        yield page, elsewhere


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    return screenshots(tmp_path)


def check_entry(page: Page, entry: str) -> tuple[str, list[tuple[str, str]]]:
    """Type ``entry`` in the form, press Enter; the verdict and each (state, sentence)."""
    page.fill("#entry", entry)
    page.press("#entry", "Enter")
    until(page, "['passed', 'failed'].includes(document.getElementById('result').className)")
    verdict = page.locator("#result .verdict").inner_text()
    items = page.locator("#result li")
    return verdict, [
        (items.nth(i).get_attribute("class") or "", items.nth(i).inner_text())
        for i in range(items.count())
    ]


def tamper(page: Page, pattern: str, change: Callable[[str], str]) -> None:
    """Answer requests matching ``pattern`` with the ledger's answer changed by ``change``."""

    def handler(route: Route) -> None:
        response = route.fetch()
        route.fulfill(response=response, body=change(response.text()))

    page.route(pattern, handler)


def test_a_genuine_entry_checks_out_in_the_browser(
    ledger_url: str, browser_page: tuple[Page, list[str]], shots: Path
) -> None:
    page, elsewhere = browser_page
    page.goto(ledger_url + "/transparency")
    verdict, checks = check_entry(page, "3")
    assert page.locator("#result").get_attribute("class") == "passed"
    assert verdict == "Entry 3 is in this ledger's log, as signed."
    states = [state for state, _ in checks]
    assert states[:3] == ["ok", "ok", "ok"], checks
    assert "Ed25519 signature checked" in checks[0][1]  # Debian's Chromium has Ed25519
    assert "inclusion proof" in checks[2][1]
    # What was not checked is said as plainly.
    assert any("not here" in text for state, text in checks if state == "not")
    page.locator("#check").screenshot(path=str(shots / "transparency-check-passed.png"))
    # By leaf hash as well.
    leaf = json.loads(page.request.get(ledger_url + "/transactions/2").text())["leafHash"]
    verdict, _ = check_entry(page, leaf)
    assert verdict == "Entry 2 is in this ledger's log, as signed."
    assert not elsewhere


def flip_transaction(text: str) -> str:
    entry = json.loads(text)
    tx = entry["transaction"]
    middle = len(tx) // 2
    entry["transaction"] = tx[:middle] + ("A" if tx[middle] != "A" else "B") + tx[middle + 1 :]
    return json.dumps(entry)


def test_a_tampered_entry_fails_in_the_browser(
    ledger_url: str, browser_page: tuple[Page, list[str]], shots: Path
) -> None:
    page, _ = browser_page
    tamper(page, "**/transactions/3", flip_transaction)
    page.goto(ledger_url + "/transparency")
    verdict, checks = check_entry(page, "3")
    assert page.locator("#result").get_attribute("class") == "failed"
    assert verdict == "Entry 3 did NOT check out."
    assert ("ok", checks[0][1]) == checks[0]  # the checkpoint itself is genuine
    assert checks[2][0] == "bad" and "inclusion proof does not lead" in checks[2][1]
    page.locator("#check").screenshot(path=str(shots / "transparency-check-tampered.png"))


def test_a_tampered_proof_fails_in_the_browser(
    ledger_url: str, browser_page: tuple[Page, list[str]]
) -> None:
    page, _ = browser_page

    def swap_first_hash(text: str) -> str:
        proof = json.loads(text)
        proof["inclusion"][0] = "A" * 43 + "="
        return json.dumps(proof)

    tamper(page, "**/proofs/inclusion*", swap_first_hash)
    page.goto(ledger_url + "/transparency")
    verdict, checks = check_entry(page, "1")
    assert verdict == "Entry 1 did NOT check out.", checks
    assert checks[2][0] == "bad"


def test_a_forged_checkpoint_signature_fails_in_the_browser(
    ledger_url: str, browser_page: tuple[Page, list[str]]
) -> None:
    page, _ = browser_page

    def other_root(note: str) -> str:
        # Another root under the genuine signature: what a ledger lying about its tree sends.
        lines = note.split("\n")
        lines[2] = ("B" if lines[2][0] != "B" else "C") + lines[2][1:]
        return "\n".join(lines)

    tamper(page, "**/checkpoint", other_root)
    page.goto(ledger_url + "/transparency")
    verdict, checks = check_entry(page, "1")
    assert verdict == "Entry 1 did NOT check out."
    assert checks[0][0] == "bad" and "signature is not valid" in checks[0][1]


def test_keyboard_only_and_contrast(ledger_url: str, browser_page: tuple[Page, list[str]]) -> None:
    page, _ = browser_page
    page.goto(ledger_url + "/transparency")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")  # to the content
    # Tab reaches the form's field, and Enter checks the record, without a mouse.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "entry":
            break
    assert page.evaluate("document.activeElement.id") == "entry"
    page.keyboard.press("Enter")
    until(page, "document.getElementById('result').className === 'passed'")
    for selector in ("h1", "h2", "#result li", "th", "td", ".muted", ".hint", ".axis",
                     ".status-active", ".counts .revoked strong", "summary"):  # fmt: skip
        ratio = contrast(page, selector)
        assert ratio >= MIN_CONTRAST, (selector, ratio)
    # Every chart has a text alternative: a title, a description, and a table of numbers.
    charts = page.locator("svg.plot")
    assert charts.count() >= 1
    for i in range(charts.count()):
        labelled = charts.nth(i).get_attribute("aria-labelledby") or ""
        assert charts.nth(i).get_attribute("role") == "img" and len(labelled.split()) == 2
    assert page.locator("figure.chart table.numbers").count() == charts.count()


@pytest.mark.parametrize(("width", "height", "name"), [(1280, 900, "desktop"), (390, 844, "phone")])
def test_screenshots(
    ledger_url: str,
    browser_page: tuple[Page, list[str]],
    shots: Path,
    width: int,
    height: int,
    name: str,
) -> None:
    page, elsewhere = browser_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(ledger_url + "/transparency")
    for details in page.locator("details").all()[:2]:
        details.evaluate("(d) => { d.open = true; }")
    check_entry(page, "4")
    path = shots / f"transparency-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    # Nothing wider than the screen but the tables' own scrolling boxes.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, overflow
    assert not elsewhere


def test_a_hostile_name_is_text_in_the_browser(
    hostile_url: str, browser_page: tuple[Page, list[str]]
) -> None:
    page, elsewhere = browser_page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(hostile_url + "/transparency")
    check_entry(page, "2")
    assert not dialogs
    assert page.locator("script").count() == 1  # the page's own, from its own file
    assert page.locator("img").count() == 0 and page.locator("h1").count() == 1
    names = page.locator("#bodies-table td[data-label=Name] div").all_inner_texts()
    assert any(NAME in text for text in names), names
    assert not elsewhere


NO_ED25519: Final = """
(() => {
  const importKey = crypto.subtle.importKey.bind(crypto.subtle);
  crypto.subtle.importKey = (format, data, algorithm, ...rest) =>
    (algorithm && (algorithm === "Ed25519" || algorithm.name === "Ed25519"))
      ? Promise.reject(new DOMException("Unrecognized name.", "NotSupportedError"))
      : importKey(format, data, algorithm, ...rest);
})();
"""


def test_a_browser_without_ed25519_is_told_the_signature_was_not_checked(
    ledger_url: str, browser_page: tuple[Page, list[str]]
) -> None:
    page, _ = browser_page
    page.add_init_script(NO_ED25519)  # a browser whose Web Crypto lacks Ed25519
    page.goto(ledger_url + "/transparency")
    verdict, checks = check_entry(page, "3")
    assert verdict == (
        "Entry 3 is in the tree the checkpoint describes; "
        "the checkpoint's signature was not checked."
    )
    assert checks[0] == (
        "not",
        "Your browser cannot check Ed25519 signatures: the checkpoint's signature was NOT checked.",
    )
    assert [state for state, _ in checks[1:3]] == ["ok", "ok"]  # the hashes still are


def test_an_entry_the_ledger_does_not_have_is_said_alone(
    ledger_url: str, browser_page: tuple[Page, list[str]]
) -> None:
    """Its refusal came after a line saying the checkpoint's signature checked, as if the
    entry had been looked at: now the refusal is the one line shown."""
    page, _ = browser_page
    page.goto(ledger_url + "/transparency")
    verdict, checks = check_entry(page, "999999")
    assert page.locator("#result").get_attribute("class") == "failed"
    assert verdict == "The check could not be completed."
    [(state, text)] = checks
    assert state == "bad" and "[entry_not_found]" in text, checks

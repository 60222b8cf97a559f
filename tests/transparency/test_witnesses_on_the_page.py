"""Witnesses on the page: each witness of the ledger's policy with when it cosigned the
checkpoint served and how long ago (verified with the policy's keys), the quorum in words;
in the browser, every cosignature is checked with Web Crypto, and a forged one fails."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page

from civicid.cosignature import CosignerKey, verify_cosignatures
from civicid.tlog_policy import TlogPolicy
from cli.harness import free_port, serving
from ledger.app import create_app
from ledger.settings import LedgerSettings
from ledger.witnessing import Witnessing
from tests.ledger.conftest import World
from tests.ledger.witnesses import MemoryWitness, Witnesses, policy_text
from tests.transparency.stories import populate
from tests.transparency.test_page_in_a_browser import browser_page, check_entry, shots, tamper

__all__ = ["browser_page", "shots"]
DEADLINE = 10.0  # seconds to wait for cosignatures on a loaded machine
AGO = 300  # the witnesses' clocks: five minutes behind the ledger's


def until(condition: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.01)


@pytest.fixture
def witnesses(world: World) -> dict[str, MemoryWitness]:
    found = {
        name: MemoryWitness(CosignerKey.generate(f"{name}.example"), world.genesis.vkey)
        for name in ("w1", "w2", "w3")
    }
    found["w3"].down = True
    return found


@pytest.fixture
def witnessing(world: World, witnesses: dict[str, MemoryWitness]) -> Iterator[Witnessing]:
    populate(world, days=3)
    for witness in witnesses.values():
        witness.now = world.clock.now - AGO
    policy = TlogPolicy.parse(policy_text(witnesses, 2))
    running = Witnessing(
        world.ledger, policy, interval=3600, timeout=2.0, transport=Witnesses(witnesses)
    )
    running.start()
    keys = [w.key.verifier() for w in witnesses.values()]
    until(lambda: len(verify_cosignatures(world.ledger.checkpoint, keys)) == 2, "a quorum")
    yield running
    running.close()


def test_the_page_names_each_witness_with_the_age_of_its_cosignature(
    world: World, witnessing: Witnessing
) -> None:
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with TestClient(app) as http:
        app.state.witnessing = witnessing
        html = http.get("/transparency").text
    table = html.split('<table id="witnesses">')[1].split("</table>")[0]
    rows = table.split("<tr")[2:]
    names = [r.split('<code class="name">')[1].split("</code>")[0] for r in rows]
    assert [n.replace(".<wbr>", ".") for n in names] == [
        "w1.example", "w2.example", "w3.example",
    ]  # fmt: skip
    assert "5 minutes ago" in rows[0] and "5 minutes ago" in rows[1]
    assert "Not on this checkpoint" in rows[2] and 'class="missing"' in rows[2]
    assert "verified with the key the ledger's witness policy names" in html
    assert "The ledger&#39;s witness quorum (main) cosigned this checkpoint." in html


@pytest.fixture
def served(world: World, witnessing: Witnessing) -> Iterator[str]:
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with serving(app, free_port()) as url:
        app.state.witnessing = witnessing
        yield url


def test_the_browser_checks_each_cosignature(
    served: str, browser_page: tuple[Page, list[str]], shots: Path
) -> None:
    page, elsewhere = browser_page
    page.goto(served + "/transparency")
    verdict, checks = check_entry(page, "2")
    page.locator("#checkpoint").screenshot(path=str(shots / "transparency-witnesses.png"))
    page.locator("#check").screenshot(path=str(shots / "transparency-check-witnessed.png"))
    assert verdict == "Entry 2 is in this ledger's log, as signed.", checks
    said = dict((text.split(" ")[1], (state, text)) for state, text in checks[3:])
    assert said["w1.example"][0] == "ok" and "signature checked here" in said["w1.example"][1]
    assert said["w2.example"][0] == "ok"
    assert said["w3.example"] == ("not", "Witness w3.example has not cosigned this checkpoint.")
    assert not elsewhere


def test_a_forged_cosignature_fails_in_the_browser(
    served: str, browser_page: tuple[Page, list[str]]
) -> None:
    page, _ = browser_page

    def forge_w2(note: str) -> str:
        lines = note.split("\n")
        for i, line in enumerate(lines):
            if line.startswith("\u2014 w2.example "):
                blob = line.rsplit(" ", 1)[1]
                flipped = "A" if blob[-5] != "A" else "B"
                lines[i] = line[:-5] + flipped + line[-4:]
        return "\n".join(lines)

    tamper(page, "**/checkpoint", forge_w2)
    page.goto(served + "/transparency")
    verdict, checks = check_entry(page, "2")
    assert verdict == "Entry 2 did NOT check out."
    assert ("bad", "Witness w2.example's cosignature does not verify.") in checks

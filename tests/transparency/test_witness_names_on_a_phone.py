"""A witness's name on a phone: the witnesses' table is narrow there, and a host name breaks
only after a dot ("witness-1." then "civicid.example"), never inside a label as a hash does."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from civicid.cosignature import CosignerKey
from tests.ledger.conftest import World
from tests.ledger.witnesses import MemoryWitness
from tests.transparency.test_page_in_a_browser import browser_page, shots
from tests.transparency.test_witnesses_on_the_page import served, witnessing

__all__ = ["browser_page", "served", "shots", "witnessing"]

DOMAIN = "civicid.example"
# Each character of a witness's name that ends a rendered line but the last: a line break
# falls after it.
BREAKS_AFTER = """
(cell) => {
  const tops = [];
  const walk = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    for (let i = 0; i < node.length; i++) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      tops.push([node.data[i], range.getBoundingClientRect().top]);
    }
  }
  const ends = [];
  for (let i = 1; i < tops.length; i++) {
    if (tops[i][1] > tops[i - 1][1] + 1) ends.push(tops[i - 1][0]);
  }
  return ends;
}
"""


@pytest.fixture
def witnesses(world: World) -> dict[str, MemoryWitness]:
    found = {
        name: MemoryWitness(CosignerKey.generate(f"witness-{n}.{DOMAIN}"), world.genesis.vkey)
        for n, name in enumerate(("w1", "w2", "w3"), start=1)
    }
    found["w3"].down = True  # the quorum is two: the page names the third as not cosigned
    return found


def test_a_witness_name_breaks_after_a_dot_on_a_phone(
    served: str, browser_page: tuple[Page, list[str]], shots: Path
) -> None:
    page, elsewhere = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(served + "/transparency")
    cells = page.locator("#witnesses tbody td:first-child code")
    assert cells.count() == 3
    page.locator("#checkpoint").screenshot(path=str(shots / "transparency-witnesses-phone.png"))
    for i in range(3):
        assert cells.nth(i).inner_text() == f"witness-{i + 1}.{DOMAIN}"
        ends = cells.nth(i).evaluate(BREAKS_AFTER)
        assert ends, "the name fits on one line: the table is wider than a phone's"
        assert set(ends) == {"."}, ends
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert not elsewhere

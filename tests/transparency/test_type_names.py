"""Credential types on the page by the names their metadata registers on the ledger, the
type's URL beside them as secondary text: in accreditations, in what a rule issues and asks
for, in redemptions (a URL stood there alone, where a person reads a name). A type with no
name registered is its URL alone; a name from outside is text, never markup."""

from __future__ import annotations

import html as markup
import re

from fastapi.testclient import TestClient

from civicid import transaction as tx
from civicid.entitlements import SINGLE_USE
from tests.ledger.conftest import World
from tests.ledger.trust import NATIONAL_ID, metadata, type_body
from tests.transparency.stories import (
    PASS,
    PASS_NAME,
    VOUCHER,
    VOUCHER_NAME,
    populate,
    redeem,
    rules_and_redemptions,
)

UNREGISTERED = "https://civicid.example/vct/not-registered-yet"


def shown(name: str, vct: str) -> str:
    """A type as the page shows it: its name, then its URL as secondary text."""
    return (
        f'<span class="type-name">{markup.escape(name)}</span>'
        f' <code class="hash type-url">{markup.escape(vct)}</code>'
    )


def section(page: str, ident: str) -> str:
    return page.split(f'<section id="{ident}"')[1].split("</section>")[0]


def test_each_type_is_shown_by_its_registered_name(world: World, http: TestClient) -> None:
    cast = populate(world, days=1)
    market = rules_and_redemptions(world, cast)
    redeem(world, cast, market)
    page = http.get("/transparency").text
    national = shown(metadata()["name"], NATIONAL_ID)
    # Accreditations: the types an agency may issue, and those a desk may ask claims of.
    accreditations = section(page, "accreditations")
    assert f"<li>{shown(PASS_NAME, PASS)}</li>" in accreditations
    assert f"<li>{shown(VOUCHER_NAME, VOUCHER)}</li>" in accreditations
    assert f"<li>{national}: Given name, Age over 18</li>" in accreditations  # its labels
    # A rule: what it issues, and the credential it asks to see.
    rules = section(page, "rules")
    assert f"<dt>Issues</dt><dd>{shown(PASS_NAME, PASS)}</dd>" in rules
    assert f"<li>A credential of type {national}</li>" in rules
    # Redemptions, per type.
    redemptions = section(page, "redemptions")
    assert re.search(rf"<span>{re.escape(shown(VOUCHER_NAME, VOUCHER))}: \d+</span>", redemptions)
    # Nowhere a type's URL alone where its name is registered.
    for vct in (NATIONAL_ID, PASS, VOUCHER):
        for part in (accreditations, rules, redemptions):
            assert f'<code class="hash">{vct}</code>' not in part, vct


def test_a_type_no_name_is_registered_for_is_its_url(world: World, http: TestClient) -> None:
    cast = populate(world, days=1)
    world.accredit(cast.registry, vcts=[UNREGISTERED])
    page = http.get("/transparency").text
    assert f'<li><code class="hash">{UNREGISTERED}</code></li>' in section(page, "accreditations")


def test_a_type_s_name_is_text_wherever_it_is_shown(world: World, http: TestClient) -> None:
    cast = populate(world, days=1)
    market = rules_and_redemptions(world, cast)
    hostile = type_body(VOUCHER)
    hostile["metadata"]["name"] = "<b>Free</b> food <script>alert(1)</script>"
    hostile["metadata"][SINGLE_USE] = True  # still the voucher the desks redeem
    world.submit_as(cast.registry, tx.CREDENTIAL_TYPE, hostile)
    redeem(world, cast, market)
    page = http.get("/transparency").text
    assert "<b>Free" not in page and "<script>alert(1)" not in page
    escaped = shown(hostile["metadata"]["name"], VOUCHER)
    for ident in ("accreditations", "redemptions"):
        assert escaped in section(page, ident), ident

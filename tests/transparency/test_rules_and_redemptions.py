"""Issuance rules and redemptions on the page: each rule's version in force (or its
withdrawal) and what it asks for; redemptions counted per distribution point (the desk that
logged them) and per type, equal to a replay of the log; the entitled citizen's list place
is never shown."""

from __future__ import annotations

import re
import time
from collections import Counter

from fastapi.testclient import TestClient

from civicid import transaction as tx
from civicid.transaction import Transaction
from tests.ledger.conftest import World
from tests.ledger.trust import NATIONAL_ID, metadata, type_body
from tests.transparency.stories import (
    PASS,
    PASS_NAME,
    REDEEMED,
    VOUCHER,
    populate,
    redeem,
    rules_and_redemptions,
)
from tests.transparency.test_type_names import shown as type_shown

# The national ID a rule takes, by its registered name, its URL beside it.
CREDENTIAL = f"A credential of type {type_shown(metadata()['name'], NATIONAL_ID)}"


def test_rules_and_redemptions_equal_a_replay(world: World, http: TestClient) -> None:
    cast = populate(world, days=2)
    registry = cast.registry
    market = rules_and_redemptions(world, cast)
    ended = world.clock.now  # old-scheme withdrawn, a minute after its publication
    redeem(world, cast, market, 1)
    first = http.get("/transparency").text  # later redemptions are in the next page
    redeem(world, cast, market)
    html = http.get("/transparency").text
    assert first.count("data-desk=") == 1 and html.count("data-desk=") == 2

    # The replay: who redeemed how many.
    per_desk: Counter[str] = Counter()
    for _, leaf in world.ledger.entries():
        entry = Transaction.parse(leaf)
        if entry.type == tx.ENTITLEMENT_REDEEM:
            per_desk[entry.signer] += 1
    shown = {
        did: int(count)
        for did, count in re.findall(
            r'data-desk="([^"]+)">.*?data-count="redeemed">(\d+)<', html, re.S
        )
    }
    assert shown == dict(per_desk) == {market.did: 3, cast.desk.did: 2}
    assert "Cadur food bank" in html

    rules = dict(
        re.findall(r'<article class="rule" data-rule="([^"]+)">(.*?)</article>', html, re.S)
    )
    live = rules[f"{registry.did}/senior-transit"]
    assert "version 2" in live and "Withdrawn" not in live
    assert "Senior transit pass" in live and "Cadur Civil Registry" in live
    # Claims and conditions in the words the desk and the wallet use, not as code.
    asks = re.findall(r"<li>(.*?)</li>", live.split("Asks for")[1])
    assert asks == [CREDENTIAL, "Given name", "Age over 18 must be yes"]
    assert "given_name" not in live and "is True" not in live
    assert f"<dt>Issues</dt><dd>{type_shown(PASS_NAME, PASS)}</dd>" in live
    old = rules[f"{registry.did}/old-scheme"]
    assert "version 2" in old and "Withdrawn" in old
    # Published, then withdrawn a minute later: since its publication, withdrawn since then.
    published = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ended - 60))
    withdrawn = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ended))
    assert f"version 2, since {published}</dd>" in old
    assert f'<dd class="status status-revoked">{withdrawn}</dd>' in old

    types = dict(
        re.findall(r'<article class="type" data-vct="([^"]+)">(.*?)</article>', html, re.S)
    )
    assert "Single use" in types[VOUCHER] and "Single use" not in types[PASS]

    # The voucher holders' list places are not on the page.
    section = html.split('id="redemptions"')[1]
    for idx in REDEEMED:
        assert not re.search(rf"\b{idx}\b", section.split("</figcaption>")[0]), idx


def test_a_rule_s_claims_are_worded_by_the_labels_its_types_give(
    world: World, http: TestClient
) -> None:
    # As the desk's page words them: by the labels the rule's credential type gives its
    # claims on the ledger now, the words of the claim's name where it gives none.
    cast = populate(world, days=1)
    rules_and_redemptions(world, cast)
    relabelled = metadata()
    for claim in relabelled["claims"]:
        if claim["path"] == ["given_name"]:
            claim["display"] = [
                {"locale": "fr-FR", "label": "Prénom"},
                {"locale": "en", "label": "First name"},
            ]
        if claim["path"] == ["age_over_18"]:
            claim["display"] = [{"locale": "en-GB", "label": "Adult"}]
    before = http.get("/transparency").text
    world.submit_as(cast.registry, tx.CREDENTIAL_TYPE, type_body(metadata=relabelled))
    html = http.get("/transparency").text

    def asks(page: str) -> list[str]:
        rule = page.split(f'data-rule="{cast.registry.did}/senior-transit"')[1]
        return re.findall(r"<li>(.*?)</li>", rule.split("</article>")[0])

    assert asks(before) == [CREDENTIAL, "Given name", "Age over 18 must be yes"]
    assert asks(html) == [CREDENTIAL, "First name", "Adult must be yes"]

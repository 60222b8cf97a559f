"""Issuance rules and redemptions on the page: each rule's version in force (or its
withdrawal) and what it asks for; redemptions counted per distribution point (the desk that
logged them) and per type, equal to a replay of the log; the entitled citizen's list place
is never shown."""

from __future__ import annotations

import re
from collections import Counter

from fastapi.testclient import TestClient

from civicid import transaction as tx
from civicid.entitlements import SINGLE_USE, redeem_body
from civicid.issuance_rules import publish_body, withdraw_body
from civicid.transaction import Transaction
from tests.ledger.conftest import World
from tests.ledger.trust import NATIONAL_ID, type_body
from tests.transparency.conftest import register_named
from tests.transparency.stories import REGISTRY_LISTS, populate

VOUCHER = "https://civicid.example/vct/food-voucher"
PASS = "https://civicid.example/vct/senior-transit-pass"
POLICY = {
    "title": "Senior transit pass",
    "purpose": "Free public transport for residents aged 65 or over",
    "credential_types": [NATIONAL_ID],
    "required_claims": ["given_name"],
    "predicates": [{"claim": "age_over_18", "equals": True}],
}
REDEEMED = (11, 23, 37, 41, 59)  # list places of the redeemed vouchers


def test_rules_and_redemptions_equal_a_replay(world: World, http: TestClient) -> None:
    cast = populate(world, days=2)
    registry = cast.registry
    world.accredit(registry, vcts=[NATIONAL_ID, VOUCHER, PASS])
    voucher = type_body(VOUCHER)
    voucher["metadata"][SINGLE_USE] = True
    world.submit_as(registry, tx.CREDENTIAL_TYPE, voucher)
    world.submit_as(registry, tx.CREDENTIAL_TYPE, type_body(PASS))
    for version in (1, 2):
        body = publish_body(name="senior-transit", version=version, vct=PASS, policy=POLICY,
                            claims={}, copy=["given_name"])  # fmt: skip
        world.submit_as(registry, tx.ISSUANCE_RULE, body)
    body = publish_body(name="old-scheme", version=1, vct=PASS, policy=POLICY, claims={}, copy=[])
    world.submit_as(registry, tx.ISSUANCE_RULE, body)
    world.clock.now += 60
    withdrawn = withdraw_body(name="old-scheme", version=2, reason="The scheme has ended")
    world.submit_as(registry, tx.ISSUANCE_RULE_WITHDRAW, withdrawn)
    market = register_named(world, "service-desk", {"en": "Cadur food bank"})
    for desk in (cast.desk, market):
        world.accredit(desk, claims={VOUCHER: ["given_name"]})
    uri = REGISTRY_LISTS[0]
    first = ""
    for number, idx in enumerate(REDEEMED, start=1):
        world.clock.now += 3600
        desk = market if number % 2 else cast.desk
        world.submit_as(desk, tx.ENTITLEMENT_REDEEM,
                        redeem_body(uri=uri, idx=idx, vct=VOUCHER, number=number))  # fmt: skip
        if number == 1:  # redemptions logged after a page are in the next: the tally advances
            first = http.get("/transparency").text
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
    assert "Senior transit pass" in live and "the claim given_name" in live
    assert "age_over_18 is True" in live and "Cadur Civil Registry" in live
    old = rules[f"{registry.did}/old-scheme"]
    assert "version 2" in old and "Withdrawn" in old

    # The voucher holders' list places are not on the page.
    section = html.split('id="redemptions"')[1]
    for idx in REDEEMED:
        assert not re.search(rf"\b{idx}\b", section.split("</figcaption>")[0]), idx

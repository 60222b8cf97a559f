"""An agency asked by its rule answers with a credential offer: the wallet receives it only when
it is the rule's, the agency's own credential of the type its rule on the ledger issues. An
offer of another agency (an accredited one, whose issuer is where its DID says) or of another
type is refused before its code is spent, nothing received: the citizen asked for what the rule
issues, and consented to nothing else."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from civicid import transaction as tx
from civicid.errors import Error
from civicid.identity import Identity
from civicid.issuance_rules import publish_body
from civicid.oid4vci import parse_offer_link
from civicid.oid4vp import AuthorizationRequest, build_request_object, client_id_for
from civicid.policy import Policy
from cli.demo_rules import RULE, SENIOR, senior_pass_type, senior_rule
from cli.harness import free_port, serving
from tests.wallet.conftest import TX_CODE
from tests.wallet.rogue_issuer import RogueIssuer
from tests.wallet.world import CLAIMS, LedgerWorld, live_ledger
from wallet.holder.wallet import Wallet

RULE_POLICY: dict[str, Any] = senior_rule()["policy"]
POLICY = Policy.from_toml({**RULE_POLICY, "name": RULE}, "rule", name=RULE)
SENIOR_CLAIMS: dict[str, Any] = {**CLAIMS, "age_equal_or_over": {"18": True, "65": True}}


@pytest.fixture(scope="module")
def ledger_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LedgerWorld]:
    """This module's own ledger: its rules and second agency stay out of the session's."""
    with live_ledger(tmp_path_factory.mktemp("ledger")) as world:
        for who in (other_agency(world), world.agency):
            world.accredit(who, vcts=[SENIOR])
            body = publish_body(
                name=RULE, version=1, vct=SENIOR, policy=RULE_POLICY,
                claims={"concession": "senior"}, copy=["given_name", "family_name"],
            )  # fmt: skip
            world.client.submit(world.sign(who, tx.ISSUANCE_RULE, body))
        yield world


def other_agency(world: LedgerWorld) -> Identity:
    """A second accredited agency, the pass's type registered by it."""
    who = world.register("agency", names={"en": "Transport authority"})
    world.accredit(who, vcts=[SENIOR])  # before it registers the type
    world.client.submit(world.sign(who, tx.CREDENTIAL_TYPE, senior_pass_type()))
    world.notes["other"] = who
    return who


class RuleDesk:
    """An agency's rule endpoints (issuer/by_rule.py) that sign a request as the rule makes it
    and, whatever is presented, answer "issued" with the offer they are given."""

    def __init__(self, signer: Identity, offer: str) -> None:
        self.signer, self.offer, self.url = signer, offer, ""
        self.declined: list[tuple[str, str]] = []  # (state, error) answers (§8.5)
        self.gone = False  # its requests over: a decline is refused
        self.issues = True  # False: every presentation is refused, a condition not met

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/health")
        def health() -> dict[str, str]:
            return {"status": "ok"}

        @app.post("/rules/{rule}/requests")
        def ask(rule: str) -> dict[str, Any]:
            now = int(time.time())
            request = AuthorizationRequest(
                client_id=client_id_for(self.signer.did),
                response_uri=f"{self.url}/rules/responses",
                nonce=secrets.token_urlsafe(16), state=secrets.token_urlsafe(16),
                dcql_query=POLICY.dcql(), iat=now, exp=now + 300, policy=rule,
                purpose=POLICY.purpose,
            )  # fmt: skip
            return {"request": build_request_object(request, self.signer.key, self.signer.kid)}

        @app.post("/rules/responses")
        async def answer(raw: Request) -> JSONResponse:
            form = await raw.form()
            if "error" in form:
                if self.gone:
                    return JSONResponse({"error": "rule_request_unknown"}, status_code=400)
                self.declined.append((str(form["state"]), str(form["error"])))
                return JSONResponse({})
            if not self.issues:
                return JSONResponse({"rule": RULE, "version": 1, "issued": False,
                                     "code": "predicate_failed", "failed_step": "predicates",
                                     "reason": "not met"})  # fmt: skip
            return JSONResponse({"rule": RULE, "version": 1, "issued": True,
                                 "redirect_uri": self.offer})  # fmt: skip

        return app


@pytest.fixture
def senior(holder: Wallet, issuer_stub: RogueIssuer) -> Wallet:
    """A wallet holding a national ID of a resident aged 65 or over."""
    issuer_stub.behaviour.claims = dict(SENIOR_CLAIMS)
    holder.receive(issuer_stub.offer(), TX_CODE)
    return holder


@pytest.mark.parametrize("rule_of", ["another agency", "the same agency"])
def test_an_offer_not_of_the_rule_is_refused_before_its_code_is_spent(
    senior: Wallet, issuer_stub: RogueIssuer, ledger_world: LedgerWorld, rule_of: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    # The rule's agency answers with the world agency's offer of a national ID: from another
    # agency, or from the same one but not the pass its rule issues.
    signer = ledger_world.notes["other"] if rule_of == "another agency" else ledger_world.agency
    desk = RuleDesk(signer, issuer_stub.offer(tx_code=False))
    spent = list(issuer_stub.behaviour.tokens_spent)
    held = [c.id for c in senior.credentials()]
    with serving(desk.app(), free_port()) as url:
        desk.url = url
        with pytest.raises(Error) as info:
            senior.apply(url, RULE)
    assert info.value.code == "wallet_rule_mismatch"
    assert SENIOR in info.value.message
    assert issuer_stub.behaviour.tokens_spent == spent  # the offer's code never sent
    assert [c.id for c in senior.credentials()] == held


def test_an_offer_by_reference_not_of_the_rule_is_not_kept(
    senior: Wallet, issuer_stub: RogueIssuer, ledger_world: LedgerWorld
) -> None:
    # An offer by reference is kept from its review on, to be redeemed later: one the agency
    # answered its rule with, refused as not the rule's, is nothing the citizen asked for.
    offer = issuer_stub.offer(by_reference=True, tx_code=False)
    offer_uri = parse_offer_link(offer).offer_uri
    assert offer_uri is not None
    desk = RuleDesk(ledger_world.agency, offer)
    with serving(desk.app(), free_port()) as url:
        desk.url = url
        with pytest.raises(Error) as info:
            senior.apply(url, RULE)
    assert info.value.code == "wallet_rule_mismatch"
    assert senior.kept_offer(offer_uri) is None


def test_an_offer_kept_before_stays_kept_when_a_rule_answers_with_it(
    senior: Wallet, issuer_stub: RogueIssuer, ledger_world: LedgerWorld
) -> None:
    # The citizen was given this link and reviewed it (kept until redeemed): an agency that
    # answers its rule with the same link does not make the wallet drop it.
    offer = issuer_stub.offer(by_reference=True)
    offer_uri = parse_offer_link(offer).offer_uri
    assert offer_uri is not None
    senior.review_offer(offer)
    assert senior.kept_offer(offer_uri) is not None
    desk = RuleDesk(ledger_world.agency, offer)
    with serving(desk.app(), free_port()) as url:
        desk.url = url
        with pytest.raises(Error) as info:
            senior.apply(url, RULE)
    assert info.value.code == "wallet_rule_mismatch"
    assert senior.kept_offer(offer_uri) is not None

"""What rule and entitlement tests add to the verifier's world: a senior transit pass type and
a single-use food voucher type, both the agency's; a rule; a second desk; proving clients."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import httpx

from civicid import transaction as tx
from civicid.identity import Identity
from civicid.issuance_rules import publish_body, withdraw_body
from civicid.ledger_client import LedgerClient
from civicid.trust import Trust
from cli.demo_rules import (
    RULE,
    SENIOR,
    VOUCHER,
    senior_pass_type,
    senior_rule,
    voucher_type,
)
from tests.verifier.world import DESK_CLAIMS, NATIONAL_ID, World

# P: a resident national ID holder aged 65 or over; the name goes onto the pass (the example
# rule the demo publishes, examples/rules/senior-transit.toml).
POLICY: Final[dict[str, Any]] = senior_rule()["policy"]


def add_types(world: World) -> None:
    """The agency is accredited for the pass and the voucher and registers both; the voucher
    is single use, and the world's desk may check it (a distribution point)."""
    world.accredit(world.agency, vcts=[SENIOR, VOUCHER])
    world.submit(world.agency, tx.CREDENTIAL_TYPE, senior_pass_type())
    world.submit(world.agency, tx.CREDENTIAL_TYPE, voucher_type())
    world.accredit(world.desk, claims={VOUCHER: ["programme"], NATIONAL_ID: DESK_CLAIMS})


def second_desk(world: World) -> Identity:
    desk = world.register("service-desk")
    world.accredit(desk, claims={VOUCHER: ["programme"]})
    return desk


def publish_rule(
    world: World,
    version: int = 1,
    *,
    who: Identity | None = None,
    policy: dict[str, Any] | None = None,
    vct: str = SENIOR,
    name: str = RULE,
) -> int:
    example = senior_rule(version)
    body = publish_body(
        name=name,
        version=version,
        vct=vct,
        policy=POLICY if policy is None else policy,
        claims=example["claims"],
        copy=example["copy"],
    )
    return world.submit(who or world.agency, tx.ISSUANCE_RULE, body)


def withdraw_rule(world: World, version: int, *, who: Identity | None = None) -> int:
    body = withdraw_body(name=RULE, version=version, reason="The scheme has ended")
    return world.submit(who or world.agency, tx.ISSUANCE_RULE_WITHDRAW, body)


@contextmanager
def trusting(world: World, transport: httpx.BaseTransport) -> Iterator[Trust]:
    client = LedgerClient(
        "http://testserver", world.genesis.vkey, transport=transport,
        clock=lambda: world.clock.now,
    )  # fmt: skip
    try:
        yield Trust(client, clock=lambda: world.clock.now)
    finally:
        client.close()


VOUCHER_POLICY: Final = "food-voucher"
VOUCHER_INDEX: Final = 11


def voucher_policy_text(uri: str, max_age: int = 300) -> str:
    return (
        f'title = "Food voucher"\npurpose = "Hand out this week\'s food parcel"\n'
        f'credential_types = ["{VOUCHER}"]\nrequired_claims = ["programme"]\n'
        f'max_ledger_age_seconds = {max_age}\nstatus_lists = ["{uri}"]\n'
    )


def voucher(world: World, index: int = VOUCHER_INDEX) -> str:
    return world.credential(
        vct=VOUCHER, claims={"programme": "winter-aid"}, disclosable=[("programme",)], index=index
    )


def present_voucher(world: World, credential: str, *, nonce: str, aud: str, iat: int) -> str:
    return world.present(credential, nonce=nonce, aud=aud, disclose=[("programme",)], iat=iat)

"""A ledger with something to show: two agencies and a desk by name, their accreditations,
a credential type, and status lists published over days with revocations and suspensions."""

from __future__ import annotations

from dataclasses import dataclass

from civicid import transaction as tx
from civicid.entitlements import SINGLE_USE, redeem_body
from civicid.identity import Identity
from civicid.issuance_rules import publish_body, withdraw_body
from tests.ledger.conftest import World
from tests.ledger.trust import BENEFIT, NATIONAL_ID, publish, register_type, token, type_body
from tests.transparency.conftest import register_named

DAY = 86400
REGISTRY = {"en": "Cadur Civil Registry", "fr": "État civil de Cadur"}
BENEFITS = {"en": "Cadur Benefits Office"}
DESK = {"en": "Cadur town hall desk", "fr": "Guichet de la mairie de Cadur"}
VOUCHER = "https://civicid.example/vct/food-voucher"
PASS = "https://civicid.example/vct/senior-transit-pass"
# The names their types register: what the page shows them by.
VOUCHER_NAME = "Food voucher"
PASS_NAME = "Senior transit pass card"
POLICY = {
    "title": "Senior transit pass",
    "purpose": "Free public transport for residents aged 65 or over",
    "credential_types": [NATIONAL_ID],
    "required_claims": ["given_name"],
    "predicates": [{"claim": "age_over_18", "equals": True}],
}
REDEEMED = (11, 23, 37, 41, 59)  # list places of the redeemed vouchers
REGISTRY_LISTS = ("https://registry.example/status/1", "https://registry.example/status/2")
BENEFITS_LIST = "https://benefits.example/status/1"


@dataclass(frozen=True)
class Cast:
    registry: Identity
    benefits: Identity
    desk: Identity


def populate(world: World, days: int = 12) -> Cast:
    registry = register_named(world, "agency", REGISTRY, base="https://registry.example")
    world.accredit(registry, vcts=[NATIONAL_ID])
    benefits = register_named(world, "agency", BENEFITS, base="https://benefits.example")
    world.accredit(benefits, vcts=[BENEFIT], days=30)
    desk = register_named(world, "service-desk", DESK)
    world.accredit(desk, claims={NATIONAL_ID: ["given_name", "age_over_18"]})
    register_type(world, registry)
    register_type(world, benefits, BENEFIT)
    revoked: list[int] = []
    for day in range(days):
        world.clock.now += DAY
        revoked.append(7 * day + 1)
        suspended = tuple(range(500, 500 + day % 4))
        publish(world, registry, REGISTRY_LISTS[0], token(
            registry, REGISTRY_LISTS[0], now=world.clock.now, revoked=tuple(revoked),
            suspended=suspended,
        ))  # fmt: skip
        if day == days // 2:
            publish(world, registry, REGISTRY_LISTS[1], token(
                registry, REGISTRY_LISTS[1], now=world.clock.now, size=2000, revoked=(),
                suspended=(9,),
            ))  # fmt: skip
        if day % 3 == 0:
            publish(world, benefits, BENEFITS_LIST, token(
                benefits, BENEFITS_LIST, now=world.clock.now, revoked=tuple(range(day // 3)),
                suspended=(),
            ))  # fmt: skip
    return Cast(registry, benefits, desk)


def rules_and_redemptions(world: World, cast: Cast) -> Identity:
    """The registry registers a single-use voucher and a transit pass, publishes a rule (two
    versions) and withdraws another; the desk and a food bank redeem vouchers. Returns the
    food bank."""
    registry = cast.registry
    world.accredit(registry, vcts=[NATIONAL_ID, VOUCHER, PASS])
    voucher = type_body(VOUCHER)
    voucher["metadata"][SINGLE_USE] = True
    voucher["metadata"]["name"] = VOUCHER_NAME
    world.submit_as(registry, tx.CREDENTIAL_TYPE, voucher)
    transit = type_body(PASS)
    transit["metadata"]["name"] = PASS_NAME
    world.submit_as(registry, tx.CREDENTIAL_TYPE, transit)
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
    return market


def redeem(world: World, cast: Cast, market: Identity, upto: int = len(REDEEMED)) -> None:
    """The first ``upto`` redemptions not yet logged, an hour apart, alternating desks."""
    held = world.ledger.state.extensions.get("redemptions", {}).get(REGISTRY_LISTS[0])
    done = len(held["entries"]) if held else 0
    for number in range(done + 1, upto + 1):
        world.clock.now += 3600
        desk = market if number % 2 else cast.desk
        body = redeem_body(uri=REGISTRY_LISTS[0], idx=REDEEMED[number - 1], vct=VOUCHER,
                           number=number)  # fmt: skip
        world.submit_as(desk, tx.ENTITLEMENT_REDEEM, body)

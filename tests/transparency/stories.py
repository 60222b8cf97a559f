"""A ledger with something to show: two agencies and a desk by name, their accreditations,
a credential type, and status lists published over days with revocations and suspensions."""

from __future__ import annotations

from dataclasses import dataclass

from civicid.identity import Identity
from tests.ledger.conftest import World
from tests.ledger.trust import BENEFIT, NATIONAL_ID, publish, register_type, token
from tests.transparency.conftest import register_named

DAY = 86400
REGISTRY = {"en": "Cadur Civil Registry", "fr": "État civil de Cadur"}
BENEFITS = {"en": "Cadur Benefits Office"}
DESK = {"en": "Cadur town hall desk", "fr": "Guichet de la mairie de Cadur"}
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

"""Single-use entitlements: a voucher accepted at one distribution point is redeemed on the
ledger and refused at every other, at once or after an offline desk syncs; of two desks
redeeming it at the same moment exactly one wins; redemptions are counted per desk and type."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from civicid import transaction as tx
from civicid.entitlements import redeem_body
from civicid.errors import Error
from ledger import issuance
from tests.rules.desks import desk_root, open_at, open_offline, take_snapshot
from tests.rules.world import (
    VOUCHER,
    VOUCHER_INDEX,
    VOUCHER_POLICY,
    add_types,
    present_voucher,
    second_desk,
    voucher,
)
from tests.verifier.world import LIST_URI, NATIONAL_ID, Clock, World
from verifier import redemption
from verifier.service import Verifier


@pytest.fixture
def desks(
    world: World, http: httpx.BaseTransport, desk_clock: Clock
) -> Iterator[tuple[Verifier, Verifier]]:
    add_types(world)
    other = second_desk(world)
    first = open_at(desk_root(world, world.desk, "desk"), http, desk_clock)
    second = open_at(desk_root(world, other, "desk-2"), http, desk_clock)
    yield first, second
    first.close()
    second.close()


def check(desk: Verifier, credential: str, world: World, nonce: str) -> Any:
    presentation = present_voucher(
        world, credential, nonce=nonce, aud=desk.client_id, iat=desk.clock()
    )
    return desk.check(presentation, policy=desk.policy(VOUCHER_POLICY), nonce=nonce)


def redeemed(world: World) -> int:
    return int(issuance.redemption_counts(world.ledger.state)["total"])


def test_a_voucher_is_redeemed_once_and_refused_at_a_second_desk(
    world: World, desks: tuple[Verifier, Verifier]
) -> None:
    first, second = desks
    credential = voucher(world)
    accepted = check(first, credential, world, "a" * 24)
    assert accepted.eligible, accepted.to_text()
    assert redeemed(world) == 1
    refused = check(second, credential, world, "b" * 24)
    assert not refused.eligible
    assert (refused.failed.step, refused.code) == ("entitlement", "entitlement_already_redeemed")
    assert "already been used" in refused.reason
    again = check(first, credential, world, "c" * 24)
    assert again.code == "entitlement_already_redeemed"
    assert redeemed(world) == 1
    # Another voucher of the same list is its own entitlement.
    assert check(second, voucher(world, VOUCHER_INDEX + 1), world, "d" * 24).eligible
    counts = issuance.redemption_counts(world.ledger.state)["counts"]
    assert sorted((c["desk"], c["count"]) for c in counts) == sorted(
        [(first.desk.did, 1), (second.desk.did, 1)]
    )
    assert all(c["vct"] == VOUCHER for c in counts)


def race(desks: tuple[Verifier, Verifier], indexes: tuple[int, int], now: int) -> list[Any]:
    """Both desks record a redemption at the same moment; what each got."""
    start = threading.Barrier(2)
    results: list[Any] = [None, None]

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = redemption.record(
                desks[i].desk, desks[i].trust, LIST_URI, indexes[i], VOUCHER, now
            )
        except Error as exc:
            results[i] = exc.code

    threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_desks_redeeming_one_voucher_at_once_exactly_one_wins(
    world: World, desks: tuple[Verifier, Verifier]
) -> None:
    for round_, index in enumerate(range(20, 26)):
        results = race(desks, (index, index), desks[0].clock())
        wins = [r for r in results if isinstance(r, int)]
        assert len(wins) == 1, results
        assert [r for r in results if not isinstance(r, int)] == ["entitlement_already_redeemed"]
        assert redeemed(world) == round_ + 1


def test_two_desks_redeeming_two_vouchers_of_one_list_at_once_both_succeed(
    world: World, desks: tuple[Verifier, Verifier]
) -> None:
    results = race(desks, (30, 31), desks[0].clock())
    assert all(isinstance(r, int) for r in results), results
    assert redeemed(world) == 2


def test_an_offline_desk_refuses_a_voucher_redeemed_before_it_synced(
    world: World, desks: tuple[Verifier, Verifier], http: httpx.BaseTransport, desk_clock: Clock
) -> None:
    first, second = desks
    credential = voucher(world)
    root = world.root / "desk-2"
    take_snapshot(root, second, http)
    offline = open_offline(root, desk_clock)
    try:
        # Synced before the redemption: it cannot redeem (only the ledger says who is first).
        before = check(offline, credential, world, "e" * 24)
        assert (before.failed.step, before.code) == ("entitlement", "entitlement_needs_ledger")
    finally:
        offline.close()
    assert check(first, credential, world, "f" * 24).eligible
    take_snapshot(root, second, http)
    offline = open_offline(root, desk_clock)
    try:
        after = check(offline, credential, world, "g" * 24)
        assert after.offline and after.code == "entitlement_already_redeemed", after.to_text()
    finally:
        offline.close()


def submit_redemption(world: World, who: Any, **overrides: Any) -> None:
    body = {**redeem_body(uri=LIST_URI, idx=40, vct=VOUCHER, number=1), **overrides}
    size = world.ledger.size
    try:
        world.submit(who, tx.ENTITLEMENT_REDEEM, body)
    finally:
        if world.ledger.size != size:
            assert redeemed(world) >= 1


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("agency", "verifier_not_accredited"),
        ("not_single_use", "entitlement_not_single_use"),
        ("unknown_list", "status_list_not_found"),
        ("number_taken", "entitlement_number_conflict"),
        ("index_out_of_range", "entitlement_invalid"),
    ],
)
def test_the_ledger_refuses_a_redemption(world: World, case: str, code: str) -> None:
    add_types(world)
    who: Any = world.desk
    overrides: dict[str, Any] = {}
    if case == "agency":
        who = world.agency  # an issuer, not a distribution point
    elif case == "not_single_use":
        overrides["vct"] = NATIONAL_ID
    elif case == "unknown_list":
        overrides["uri"] = "https://agency.civicid.example/status/404"
    elif case == "number_taken":
        world.submit(
            who, tx.ENTITLEMENT_REDEEM, redeem_body(uri=LIST_URI, idx=41, vct=VOUCHER, number=1)
        )
    elif case == "index_out_of_range":
        overrides["idx"] = 2**20
    size = world.ledger.size
    with pytest.raises(Error) as info:
        submit_redemption(world, who, **overrides)
    assert info.value.code == code, info.value
    assert world.ledger.size == size

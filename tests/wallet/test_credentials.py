"""Held credentials: which copy a desk sees, and the status a card shows."""

from __future__ import annotations

from dataclasses import replace

from tests.wallet.conftest import NOW, made_up
from wallet.holder.credentials import EXPIRED, REVOKED, SUSPENDED, UNKNOWN, VALID, Credential


def present_all(held: Credential, desks: list[str]) -> list[tuple[str, str, bool]]:
    shown: dict[str, set[str]] = {}
    picks = []
    for desk in desks:
        copy, fresh = held.choose_copy(desk, shown)
        shown.setdefault(copy.id, set()).add(desk)
        picks.append((desk, copy.id, fresh))
    return picks


def test_each_desk_sees_a_copy_no_other_desk_saw_while_copies_last() -> None:
    held = made_up(copies=3)
    picks = present_all(held, ["a", "b", "c"])
    assert len({copy for _, copy, _ in picks}) == 3
    assert all(fresh for *_, fresh in picks)


def test_a_desk_never_sees_the_same_copy_twice_while_copies_last() -> None:
    held = made_up(copies=3)
    picks = present_all(held, ["a", "a", "a", "a"])
    assert len({copy for _, copy, _ in picks[:3]}) == 3
    assert [fresh for *_, fresh in picks] == [True, True, True, False]


def test_revoked_and_suspended_copies_are_not_chosen() -> None:
    held = made_up(copies=3)
    held = replace(
        held,
        copies=(
            replace(held.copies[0], status=REVOKED),
            replace(held.copies[1], status=SUSPENDED),
            held.copies[2],
        ),
    )
    copy, _ = held.choose_copy("a", {})
    assert copy.id == held.copies[2].id


def test_card_status_is_the_worst_copy_or_expired() -> None:
    held = made_up(copies=2)
    assert held.status(NOW) == VALID
    assert replace(held, expires_at=NOW).status(NOW) == EXPIRED
    one_unknown = replace(held, copies=(held.copies[0], replace(held.copies[1], status=UNKNOWN)))
    assert one_unknown.status(NOW) == UNKNOWN
    revoked = replace(held, copies=(held.copies[0], replace(held.copies[1], status=REVOKED)))
    assert revoked.status(NOW) == REVOKED


def test_round_trips_through_json() -> None:
    held = made_up()
    assert Credential.from_json(held.to_json()) == held

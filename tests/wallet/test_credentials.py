"""Held credentials: which copy a desk sees, and the status a card shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from civicid.errors import Error
from tests.wallet.conftest import NOW, made_up
from wallet.holder.credentials import (
    EXPIRED,
    REVOKED,
    SUSPENDED,
    UNKNOWN,
    VALID,
    Credential,
    new_id,
)


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


def with_lists(held: Credential, *uris: str | None) -> Credential:
    """``held`` with its copies' status lists (None: a copy that points to none)."""
    copies = tuple(
        replace(c, status_uri=uri, status_idx=None if uri is None else i, status=UNKNOWN)
        for i, (c, uri) in enumerate(zip(held.copies, uris, strict=True))
    )
    return replace(held, copies=copies, checked_at=NOW - 3600)


def test_every_list_read_moves_the_time_of_the_last_check() -> None:
    held = with_lists(made_up(copies=2), "https://ledger.example/l/1", "https://ledger.example/l/2")
    ids = [c.id for c in held.copies]
    read = held.with_statuses({ids[0]: VALID, ids[1]: SUSPENDED}, NOW)
    assert read.checked_at == NOW
    assert [c.status for c in read.copies] == [VALID, SUSPENDED]
    assert read.status(NOW) == SUSPENDED


def test_a_list_not_read_keeps_the_time_of_the_last_real_check() -> None:
    held = with_lists(made_up(copies=2), "https://ledger.example/l/1", "https://ledger.example/l/2")
    first = held.copies[0].id
    read = held.with_statuses({first: REVOKED}, NOW)
    assert read.checked_at == NOW - 3600  # the second list checked nothing
    assert [c.status for c in read.copies] == [REVOKED, UNKNOWN]  # what was read is kept
    assert held.with_statuses({}, NOW).checked_at == NOW - 3600


def test_a_copy_without_a_list_needs_no_reading() -> None:
    held = with_lists(made_up(copies=2), "https://ledger.example/l/1", None)
    first = held.copies[0].id
    assert held.with_statuses({first: VALID}, NOW).checked_at == NOW
    nothing = with_lists(made_up(copies=1), None)
    assert nothing.with_statuses({}, NOW).checked_at == NOW


def test_a_status_for_a_copy_not_held_changes_nothing() -> None:
    held = with_lists(made_up(copies=1), "https://ledger.example/l/1")
    read = held.with_statuses({"not-a-copy": REVOKED}, NOW)
    assert read.checked_at == NOW - 3600
    assert [c.status for c in read.copies] == [UNKNOWN]


def test_when_every_copy_is_revoked_or_suspended_one_is_still_chosen() -> None:
    held = made_up(copies=2)
    held = replace(
        held,
        copies=(replace(held.copies[0], status=REVOKED), replace(held.copies[1], status=SUSPENDED)),
    )
    shown = {held.copies[0].id: {"b"}}
    copy, fresh = held.choose_copy("a", shown)  # the least shown, and it says so
    assert (copy.id, fresh) == (held.copies[1].id, True)


def test_an_unknown_copy_is_chosen_as_a_valid_one_is() -> None:
    held = made_up(copies=2)
    held = replace(
        held,
        copies=(replace(held.copies[0], status=REVOKED), replace(held.copies[1], status=UNKNOWN)),
    )
    assert held.choose_copy("a", {})[0].id == held.copies[1].id


def test_a_claim_is_shown_with_its_display_label_else_its_path() -> None:
    held = replace(made_up(), labels={"given_name": "Given name"})
    assert held.label(("given_name",)) == "Given name"
    assert held.label(("family_name",)) == "family_name"
    assert held.label(("address", "street")) == "address.street"


def test_a_claim_is_disclosable_under_a_disclosable_path_only() -> None:
    held = replace(made_up(), disclosable=(("address",), ("given_name",)))
    assert held.is_disclosable(("address",))
    assert held.is_disclosable(("address", "street"))
    assert held.is_disclosable(("given_name",))
    assert not held.is_disclosable(("family_name",))
    assert not held.is_disclosable(())


def test_card_status_at_its_expiry_and_the_order_of_the_worst() -> None:
    held = made_up(copies=2)

    def of(*statuses: str) -> str:
        copies = tuple(replace(c, status=s) for c, s in zip(held.copies, statuses, strict=True))
        return replace(held, copies=copies, expires_at=NOW + 1).status(NOW)

    assert replace(held, expires_at=NOW + 1).status(NOW) == VALID
    assert replace(held, expires_at=NOW - 1).status(NOW) == EXPIRED
    assert of(SUSPENDED, REVOKED) == REVOKED
    assert of(EXPIRED, SUSPENDED) == SUSPENDED
    assert of(UNKNOWN, EXPIRED) == EXPIRED
    assert of(VALID, UNKNOWN) == UNKNOWN
    assert of(VALID, VALID) == VALID
    assert replace(held, copies=()).status(NOW) == VALID


def test_a_record_written_before_its_optional_fields_reads_with_their_defaults() -> None:
    data = made_up(copies=1).to_json()
    for name in ("issuer_name", "issuer_names", "type_name", "labels", "expires_at"):
        del data[name]
    del data["checked_at"], data["origin"]
    for name in ("status_uri", "status_idx", "status"):
        del data["copies"][0][name]
    read = Credential.from_json(data)
    assert (read.issuer_name, read.issuer_names, read.type_name, read.labels) == (
        None,
        {},
        None,
        {},
    )
    assert (read.expires_at, read.checked_at, read.origin) == (None, None, "openid4vci")
    copy = read.copies[0]
    assert (copy.status_uri, copy.status_idx, copy.status) == (None, None, UNKNOWN)
    assert read.to_json()["copies"][0]["status"] == UNKNOWN


def test_a_record_with_nulls_for_its_maps_reads_them_empty() -> None:
    data = made_up(copies=1).to_json()
    data["issuer_names"] = None
    data["labels"] = None
    read = Credential.from_json(data)
    assert (read.issuer_names, read.labels) == ({}, {})


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.pop("vct"),  # KeyError
        lambda d: d.update(claims=7),  # TypeError
        lambda d: d.update(issued_at="yesterday"),  # ValueError
        lambda d: d["copies"][0].pop("sd_jwt"),
    ],
    ids=["missing", "wrong-type", "wrong-value", "copy-missing"],
)
def test_a_malformed_record_is_wallet_record_invalid(
    change: Callable[[dict[str, Any]], object],
) -> None:
    data = made_up(copies=1).to_json()
    change(data)
    with pytest.raises(Error) as caught:
        Credential.from_json(data)
    assert caught.value.code == "wallet_record_invalid"


def test_the_summary_says_what_the_list_shows_and_no_claim() -> None:
    held = replace(
        with_lists(made_up(copies=3), "https://ledger.example/l/1", None, None),
        expires_at=NOW + 86400,
        issuer_name="Civic Registry",
    )
    shown = {held.copies[0].id: {"a"}, held.copies[1].id: set[str]()}
    summary = held.summary(NOW, shown)
    assert summary == {
        "id": held.id,
        "type": "National ID",
        "vct": held.vct,
        "issuer": held.issuer,
        "issuer_name": "Civic Registry",
        "status": UNKNOWN,
        "copies": 3,
        "copies_unused": 2,
        "issued_at": "2026-05-28T20:26:40Z",
        "expires_at": "2026-05-29T20:26:40Z",
        "received_at": "2026-05-28T20:26:40Z",
        "checked_at": "2026-05-28T19:26:40Z",
    }
    never = replace(held, expires_at=None, checked_at=None).summary(NOW, {})
    assert (never["expires_at"], never["checked_at"], never["copies_unused"]) == (None, None, 3)


def test_a_card_without_a_type_name_is_titled_by_the_last_part_of_its_type() -> None:
    held = replace(made_up(), type_name=None, vct="https://civicid.example/vct/national-id")
    assert held.title == "national-id"
    assert held.summary(NOW, {})["type"] == "national-id"


def test_a_credential_id_is_eight_hex_digits_to_type() -> None:
    ids = {new_id() for _ in range(50)}
    assert all(len(i) == 8 and int(i, 16) >= 0 and i == i.lower() for i in ids)
    assert len(ids) == 50


def test_a_copys_holder_key_is_the_key_it_was_issued_to() -> None:
    copy = made_up(copies=1).copies[0]
    assert copy.holder_key().to_json() == copy.key

"""An offer's change on the embedded store (one process, whose memory is the truth): written as
the members that differ from what the store holds (``PutOffer.expect``), the row then being the
offer whole; and the whole offer written when no row was there to change."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from issuer.records import ISSUED, REDEEMED, Offer
from issuer.store import PutOffer, SqliteStore


def made(n: int = 1) -> Offer:
    return Offer(
        id=f"offer-{n}",
        record=f"R-{n}",
        configuration="national-id",
        vct="https://civicid.example/vct/national-id",
        claims={"given_name": "Ada", "address": {"locality": "Lyon"}},
        code_hash=f"{n:064x}",
        code="c" * 43,
        tx_code_hash="salt$hash",
        created=1_750_000_000,
        expires=1_750_000_600,
        clerk="clerk-1",
    )


def test_a_change_leaves_the_offer_as_memory_holds_it(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path, create=True)
    try:
        offer = made()
        store.write([PutOffer(offer)])
        redeemed = replace(
            offer, state=REDEEMED, code=None, token_hash="t" * 64, token_expires=9, fetched=True
        )
        store.write([PutOffer(redeemed, expect=offer)])
        assert store.offer(offer.id) == redeemed
        issued = replace(redeemed, state=ISSUED, claims=None, token_hash=None, credential="i")
        store.write([PutOffer(issued, expect=redeemed)])
        assert store.offer(offer.id) == issued
        assert store.offer_by_code(offer.code_hash) == issued
    finally:
        store.close()


def test_only_what_differs_from_the_stored_offer_is_written(tmp_path: Path) -> None:
    """A member the change leaves as it was is not written again: the row keeps its own."""
    store = SqliteStore(tmp_path, create=True)
    try:
        offer = made()
        store.write([PutOffer(replace(offer, record="R-on-disk"))])
        redeemed = replace(offer, state=REDEEMED, code=None, token_hash="t" * 64)
        store.write([PutOffer(redeemed, expect=offer)])
        on_disk = store.offer(offer.id)
        assert on_disk == replace(redeemed, record="R-on-disk")
    finally:
        store.close()


def test_an_offer_not_stored_is_written_whole(tmp_path: Path) -> None:
    """No row to change (its first write was refused): the change writes the offer whole."""
    store = SqliteStore(tmp_path, create=True)
    try:
        offer = made(2)
        redeemed = replace(offer, state=REDEEMED, code=None, token_hash="t" * 64)
        store.write([PutOffer(redeemed, expect=offer)])
        assert store.offer(offer.id) == redeemed
        store.write([PutOffer(redeemed, expect=redeemed)])  # nothing differs: written whole
        assert store.offer(offer.id) == redeemed
    finally:
        store.close()


def test_an_expected_offer_of_another_id_writes_the_offer_whole(tmp_path: Path) -> None:
    """``expect`` names what the store holds of this offer: one of another offer says nothing
    about this row, so the offer is written whole."""
    store = SqliteStore(tmp_path, create=True)
    try:
        offer = made(3)
        store.write([PutOffer(replace(offer, record="R-on-disk"))])
        redeemed = replace(offer, state=REDEEMED, token_hash="t" * 64)
        store.write([PutOffer(redeemed, expect=replace(made(4), state=REDEEMED))])
        assert store.offer(offer.id) == redeemed
    finally:
        store.close()

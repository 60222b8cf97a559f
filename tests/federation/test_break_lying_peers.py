"""Lying peers a desk meets through a pin: a URL that serves another ledger, witnesses that
cosign two different views, an answer far too large, an answer with one entry left out.
Each refuses the foreign credential with the code a lying local ledger gets; the desk's
own issuers are never touched by it."""

from __future__ import annotations

from typing import Any

import httpx

from civicid.checkpoint import Checkpoint, NoteVerifier, open_checkpoint
from civicid.cosignature import CosignerKey, attach_cosignatures
from civicid.http import MAX_RESPONSE_BYTES
from tests.federation.world import Countries, Rewriting, desk, pin
from tests.trust.rogue import Rogue
from tests.verifier.attacks import fresh, passes, refused


def local_still_passes(countries: Countries, **transports: httpx.BaseTransport) -> None:
    home = countries.home
    with desk(countries, **transports) as verifier:
        presentation, nonce = fresh(home, verifier, home.credential())
        passes(verifier, presentation, nonce=nonce)


def test_a_pin_whose_url_serves_another_ledger_is_refused(countries: Countries) -> None:
    pin(countries, url=countries.home_url)  # the abroad key and policy; the home ledger's URL
    abroad = countries.abroad
    with desk(countries) as verifier:
        presentation, nonce = fresh(abroad, verifier, abroad.credential())
        refused(verifier, presentation, "note_unknown_key", nonce=nonce, step="issuer")
    local_still_passes(countries)


def test_witnesses_that_cosign_two_views_do_not_make_a_quorum(countries: Countries) -> None:
    abroad = countries.abroad
    w1, w2 = CosignerKey.generate("w1.abroad.example"), CosignerKey.generate("w2.abroad.example")
    text = (
        f"log {abroad.genesis.vkey}\nwitness w1 {w1.vkey()}\nwitness w2 {w2.vkey()}\n"
        "group both 2 w1 w2\nquorum both\n"
    )
    pin(countries, text=text)
    verifier_key = NoteVerifier(abroad.genesis.vkey)
    now = countries.desk_clock.now

    def split_view(note: str) -> str:
        """w1 cosigns the checkpoint served; w2 one of the same size with another root: a
        cosignature that fails is refused as such, not merely left uncounted."""
        served = open_checkpoint(note, verifier_key)
        other = Checkpoint(served.origin, served.size, bytes(32), served.extensions)
        return attach_cosignatures(note, [w1.cosign(served, now), w2.cosign(other, now)])

    abroad_view = Rewriting(split_view)
    with desk(countries, abroad=abroad_view) as verifier:
        presentation, nonce = fresh(abroad, verifier, abroad.credential())
        refused(verifier, presentation, "cosignature_invalid", nonce=nonce, step="issuer")
    assert abroad_view.changed


class Huge(httpx.BaseTransport):
    """Every answer one byte past what a client reads, as a stream that never says its
    length up front."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        def chunks() -> Any:
            left = MAX_RESPONSE_BYTES + 1
            while left > 0:
                step = min(left, 1 << 20)
                left -= step
                yield b"x" * step

        return httpx.Response(200, headers={"content-type": "text/plain"}, content=chunks())


def test_a_pinned_ledger_answering_too_much_is_refused(countries: Countries) -> None:
    pin(countries)
    abroad = countries.abroad
    with desk(countries, abroad=Huge()) as verifier:
        presentation, nonce = fresh(abroad, verifier, abroad.credential())
        refused(verifier, presentation, "http_response_too_large", nonce=nonce, step="issuer")
    local_still_passes(countries, abroad=Huge())


def one_entry_dropped(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any] | None:
    """An accreditation answer with its newest entry left out, all else as served."""
    if "subject" not in request.url.params or not body.get("entries"):
        return None
    return {**body, "entries": body["entries"][:-1]}


def test_a_pinned_ledger_leaving_out_one_entry_is_refused(countries: Countries) -> None:
    pin(countries)
    abroad = countries.abroad
    rogue = Rogue(httpx.HTTPTransport(), "/accreditations", one_entry_dropped)
    with desk(countries, abroad=rogue) as verifier:
        presentation, nonce = fresh(abroad, verifier, abroad.credential())
        refused(verifier, presentation, "ledger_answer_mismatch", nonce=nonce, step="accreditation")
    assert rogue.lied

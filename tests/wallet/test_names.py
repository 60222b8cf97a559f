"""The wallet names the agency offering, each card's issuer and the desk asking as they
registered themselves on the ledger (their governance-endorsed first DID documents), in the
citizen's language, with the DID beside the name; never by the name an issuer's own
metadata claims."""

from __future__ import annotations

from tests.wallet.conftest import Citizen
from tests.wallet.rogue_desk import RogueDesk
from tests.wallet.rogue_issuer import TX_CODE, RogueIssuer
from tests.wallet.world import AGENCY_NAMES, DESK_NAMES, LedgerWorld


def test_the_command_line_says_who_in_the_citizen_s_language(
    person: Citizen,
    issuer_stub: RogueIssuer,
    desk_stub: RogueDesk,
    ledger_world: LedgerWorld,
) -> None:
    issuer_stub.behaviour.name = "Ministry of Truth"  # what its metadata claims: not shown
    received = person.run("receive", issuer_stub.offer(), "--tx-code", TX_CODE, "--yes",
                          LANGUAGE="fr:en")  # fmt: skip
    assert received.stderr.startswith(f"{AGENCY_NAMES['fr']} ({issuer_stub.url}) offers:")
    assert "Ministry of Truth" not in received.stderr
    [card] = person.json("list")
    assert (card["issuer_name"], card["issuer"]) == (AGENCY_NAMES["fr"], ledger_world.agency.did)
    presented = person.run("present", desk_stub.link(), "--yes", LANG="en_GB.UTF-8")
    desk = f"{DESK_NAMES['en']} ({ledger_world.desk.did}) asks:"
    assert desk in presented.stderr, presented.stderr

"""Attack: an issuer, a desk or a peer's error message carries terminal escape sequences
(clipboard writes, hyperlinks, screen clears, conceal, bidi overrides) in what the wallet's
command line prints: claim values, the issuer's name, the desk's signed purpose, history,
error lines. Every one is printed inert, whatever the family of sequence."""

from __future__ import annotations

import unicodedata

import pytest

from tests.civicid.test_console_inert import FAMILIES
from tests.wallet.conftest import PASSPHRASE, Citizen
from tests.wallet.rogue_desk import RogueDesk
from tests.wallet.rogue_issuer import TX_CODE, RogueIssuer
from tests.wallet.test_cli import refused
from tests.wallet.world import CLAIMS
from wallet.holder.history import Presentation
from wallet.holder.wallet import Wallet
from wallet.settings import WalletSettings

JOINERS = {"\u200c", "\u200d"}


def active(text: str) -> list[str]:
    """The characters of ``text`` a terminal would act on (our own line breaks aside)."""
    return [
        c
        for c in text
        if c != "\n"
        and unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp", "Cs"}
        and c not in JOINERS
    ]


def assert_inert(text: str) -> None:
    assert active(text) == [], text


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_outside_strings_reach_the_terminal_inert(
    person: Citizen,
    issuer_stub: RogueIssuer,
    desk_stub: RogueDesk,
    family: str,
) -> None:
    hostile, shown = FAMILIES[family]
    issuer_stub.behaviour.name = hostile + "Registry"
    issuer_stub.behaviour.claims = {**CLAIMS, "given_name": hostile, "family_name": hostile}
    desk_stub.behaviour.purpose = hostile + "Check who you are"
    received = person.run("receive", issuer_stub.offer(), "--tx-code", TX_CODE, "--yes")
    assert_inert(received.stdout + received.stderr)
    # The review names the issuer as the ledger has it (governance endorsed the name, which
    # holds no control character): the name its own metadata claims is not shown at all.
    assert "Civil Registry" in received.stderr and shown[:12] not in received.stderr
    listed = person.run("list")
    assert_inert(listed.stdout)
    [card] = person.json("list")
    shown_card = person.run("show", card["id"])
    assert_inert(shown_card.stdout)
    assert shown[:12] in shown_card.stdout
    presented = person.run("present", desk_stub.link(), "--yes")
    assert_inert(presented.stdout + presented.stderr)
    assert f"asks: {shown[:12]}" in presented.stderr  # the purpose, escapes visible
    assert desk_stub.behaviour.received[-1]["given_name"] == hostile  # sent as it is
    assert_inert(person.run("history").stdout)


def test_history_written_from_a_desk_s_answer_is_shown_inert(person: Citizen) -> None:
    hostile = "\x1b]52;c;Y3VybA==\x07\x1b[2J\u202e"
    settings = WalletSettings.load(person.root)
    with Wallet.open(settings, PASSPHRASE) as wallet:
        wallet.record(
            Presentation(
                id="h1",
                at=1_780_000_000,
                verifier="did:civicid:" + hostile,
                client_id="decentralized_identifier:did:civicid:x",
                credential_id="c1",
                copy_id="k1",
                vct="https://civicid.example/vct/national-id",
                disclosed=(hostile,),
                decision=hostile,
            )
        )
    result = person.run("history")
    assert_inert(result.stdout)
    assert "\\x1b]52;c;" in result.stdout


def test_an_error_echoing_a_peer_is_one_inert_line(
    person: Citizen, issuer_stub: RogueIssuer
) -> None:
    hostile = "\x1b]8;;https://evil.example/\x1b\\retry here\x1b]8;;\x1b\\\nerror: \x9b8m"
    issuer_stub.behaviour.token_error = {
        "error": "invalid_grant",
        "error_description": hostile,
        "civicid_error": "bad\x1b[2J",
    }
    result = person.run("receive", issuer_stub.offer(), "--tx-code", TX_CODE, "--yes", ok=False)
    refused(result, "bad\\x1b[2J")
    assert_inert(result.stderr)
    # One error line: the description's newline could not start a second one.
    last = result.stderr.strip().splitlines()[-1]
    assert [line for line in result.stderr.splitlines() if "error:" in line] == [last]
    assert "\\x0aerror: \\x9b8m" in last


def test_a_link_of_another_scheme_is_named_inert(person: Citizen) -> None:
    result = person.run("open", "\x1b]52;c;eA==\x07:x", ok=False)
    refused(result, "wallet_uri_invalid")
    assert_inert(result.stderr)


def test_a_value_longer_than_its_column_is_shown_cut(
    person: Citizen, issuer_stub: RogueIssuer, desk_stub: RogueDesk
) -> None:
    """A claim value wider than its column (a long name, or escapes shown as text) is cut
    with a visible "…", in `show` and in what `present` asks consent for: never silently."""
    long_name = "Maria del Carmen Fernandez de la Torre"
    issuer_stub.behaviour.claims = {**CLAIMS, "given_name": long_name}
    person.run("receive", issuer_stub.offer(), "--tx-code", TX_CODE, "--yes")
    [card] = person.json("list")
    shown = person.run("show", card["id"]).stdout
    assert f"{long_name[:31]}… " in shown
    presented = person.run("present", desk_stub.link(), "--yes")
    assert f"{long_name[:27]}… " in presented.stderr

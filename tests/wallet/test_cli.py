"""``civicid wallet …`` end to end through the command line, with the live ledger, issuer
and desk of the protocol tests; every failure one line with its code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from civicid.checkpoint import NoteSigner
from cli.harness import free_port
from cli.main import app
from tests.wallet.conftest import OTHER_PASSPHRASE, PASSPHRASE, Citizen
from tests.wallet.rogue_desk import RogueDesk
from tests.wallet.rogue_issuer import TX_CODE, RogueIssuer
from wallet import cli as wallet_cli


def refused(result: Result, code: str) -> None:
    assert result.exit_code != 0
    assert result.stderr.strip().splitlines()[-1].endswith(f"[{code}]"), result.stderr
    assert "Traceback" not in result.output


def test_receive_list_show_present_history(
    person: Citizen, issuer_stub: RogueIssuer, desk_stub: RogueDesk
) -> None:
    result = person.run("receive", issuer_stub.offer(), "--tx-code", TX_CODE, "--yes")
    assert "received" in result.stdout
    assert "accredited" in result.stderr  # the review is shown before anything is asked
    [card] = person.json("list")
    assert card["type"] == "National ID" and card["status"] == "valid"
    assert card["copies"] == 3 and card["copies_unused"] == 3
    shown = person.run("show", card["id"][:5]).stdout
    assert "Given name" in shown and "Ada" in shown
    result = person.run("present", desk_stub.link(), "--yes")
    assert "decision: Eligible" in result.stdout and "sent Given name, Resident" in result.stdout
    assert "Given name" in result.stderr and "required" in result.stderr
    assert "also visible" not in result.stderr  # every claim of this card is selectable
    [entry] = person.json("history")
    assert entry["decision"] == "eligible" and entry["disclosed"] == ["given_name", "resident"]
    assert person.json("list")[0]["copies_unused"] == 2
    refreshed = person.json("refresh")
    assert refreshed["statuses"] == {card["id"]: "valid"} and refreshed["failures"] == {}


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Someone at a terminal answers the prompts (the runner's input stands for them)."""
    monkeypatch.setattr(wallet_cli, "has_terminal", lambda: True)


def test_open_dispatches_both_link_schemes(
    person: Citizen, issuer_stub: RogueIssuer, desk_stub: RogueDesk, terminal: None
) -> None:
    person.run("open", issuer_stub.offer(), input=f"y\n{TX_CODE}\n")
    assert len(person.json("list")) == 1
    declined = person.run("open", desk_stub.link(), ok=False, input="n\n")
    refused(declined, "wallet_declined")
    assert desk_stub.behaviour.received == []
    person.run("open", desk_stub.link(), input="y\n")
    assert len(desk_stub.behaviour.received) == 1
    refused(person.run("open", "ftp://example.org/x", ok=False), "wallet_uri_invalid")


@pytest.mark.parametrize(
    "command, uri, code",
    [
        ("present", "notalink", "wallet_uri_invalid"),
        ("present", "openid4vp://?client_id=x", "oid4vp_client_id_invalid"),
        ("receive", "notalink", "wallet_uri_invalid"),
        ("receive", "openid-credential-offer://?nothing=here", "oid4vci_offer_invalid"),
    ],
)
def test_without_a_terminal_a_link_that_is_none_is_told_first(
    person: Citizen, command: str, uri: str, code: str
) -> None:
    """What is wrong with the link is said before consent is asked for (a person fixing a
    pasted link is not told to pass -y)."""
    result = person.run(command, uri, ok=False)
    refused(result, code)


def test_a_link_without_an_offer_says_so(person: Citizen) -> None:
    result = person.run("receive", "openid-credential-offer://?nothing=here", "--yes", ok=False)
    refused(result, "oid4vci_offer_invalid")
    assert "no credential offer" in result.stderr


def test_no_wallet_is_said_before_a_passphrase_is_asked(tmp_path: Path) -> None:
    """A data dir without a wallet: wallet_not_found at once, no passphrase asked (without a
    terminal it was wallet_passphrase_missing)."""
    result = CliRunner().invoke(
        app,
        ["wallet", "list", "--data-dir", str(tmp_path / "none")],
        env={"CIVICID_WALLET_PASSPHRASE": ""},
    )
    refused(result, "wallet_not_found")
    assert "passphrase" not in result.stderr.lower()


def store_bytes(person: Citizen) -> bytes:
    return (person.root / "wallet" / "wallet.db").read_bytes()


def test_without_a_terminal_or_yes_nothing_is_fetched_or_sent(
    person: Citizen, issuer_stub: RogueIssuer, desk_stub: RogueDesk
) -> None:
    link = issuer_stub.offer(by_reference=True)
    before = store_bytes(person)
    for command, uri in (("receive", link), ("present", desk_stub.link()), ("open", link)):
        result = person.run(command, uri, ok=False, input="y\n")
        refused(result, "wallet_consent_needed")
        assert "-y" in result.stderr
    assert issuer_stub.fetched == [] and issuer_stub.behaviour.tokens_spent == []
    assert desk_stub.behaviour.received == []
    assert store_bytes(person) == before
    # The same link still works, agreed in advance.
    person.run("receive", link, "--tx-code", TX_CODE, "--yes")
    assert len(person.json("list")) == 1


def test_a_declined_offer_by_reference_stays_redeemable(
    person: Citizen, issuer_stub: RogueIssuer, terminal: None
) -> None:
    link = issuer_stub.offer(by_reference=True)
    refused(person.run("receive", link, ok=False, input="n\n"), "wallet_declined")
    assert issuer_stub.behaviour.tokens_spent == [] and person.json("list") == []
    # Served once by the issuer: the wallet kept it, so the same link is not spent.
    assert len(issuer_stub.fetched) == 1
    result = person.run("receive", link, input=f"y\n{TX_CODE}\n")
    assert "received" in result.stdout
    assert len(issuer_stub.fetched) == 1 and len(issuer_stub.behaviour.tokens_spent) == 1
    assert len(person.json("list")) == 1


def test_a_tx_code_needed_without_a_terminal_is_asked_for_not_lost(
    person: Citizen, issuer_stub: RogueIssuer
) -> None:
    link = issuer_stub.offer(by_reference=True)
    result = person.run("receive", link, "--yes", ok=False)
    refused(result, "wallet_tx_code_required")
    assert "--tx-code" in result.stderr and "Traceback" not in result.output
    assert issuer_stub.behaviour.tokens_spent == [] and person.json("list") == []
    person.run("receive", link, "--yes", "--tx-code", TX_CODE)
    assert len(person.json("list")) == 1


def test_present_with_omit_and_unaccredited_claims(
    person: Citizen, issuer_stub: RogueIssuer, desk_stub: RogueDesk
) -> None:
    person.run("receive", issuer_stub.offer(), "--tx-code", TX_CODE, "--yes")
    desk_stub.behaviour.required = ["given_name", "birthdate"]
    result = person.run("present", desk_stub.link(), "--yes", ok=False)
    refused(result, "wallet_claim_not_allowed")
    assert "NOT ALLOWED" in result.stderr
    desk_stub.behaviour.required = ["given_name"]
    desk_stub.behaviour.optional = ["family_name"]
    person.run("present", desk_stub.link(), "--yes", "--omit", "family_name")
    assert "family_name" not in desk_stub.behaviour.received[-1]


def test_wrong_passphrase_and_missing_wallet(person: Citizen, tmp_path: Path) -> None:
    refused(
        person.run("list", ok=False, CIVICID_WALLET_PASSPHRASE="not the one at all"),
        "wallet_passphrase_wrong",
    )
    other = Citizen(tmp_path / "nobody", person.world)
    refused(other.run("list", ok=False), "wallet_not_found")


def test_backup_and_restore_elsewhere(
    person: Citizen, issuer_stub: RogueIssuer, tmp_path: Path
) -> None:
    person.run("receive", issuer_stub.offer(), "--tx-code", TX_CODE, "--yes")
    backup = tmp_path / "wallet.backup"
    person.run(
        "backup",
        str(backup),
        "--separate-passphrase",
        CIVICID_WALLET_BACKUP_PASSPHRASE=OTHER_PASSPHRASE,
    )
    elsewhere = Citizen(tmp_path / "new-laptop", person.world)
    refused(elsewhere.run("restore", str(backup), ok=False), "wallet_passphrase_missing")
    refused(
        elsewhere.run(
            "restore", str(backup), ok=False, CIVICID_WALLET_BACKUP_PASSPHRASE=PASSPHRASE
        ),
        "wallet_backup_passphrase_wrong",
    )
    elsewhere.run("restore", str(backup), CIVICID_WALLET_BACKUP_PASSPHRASE=OTHER_PASSPHRASE)
    assert elsewhere.json("list") == person.json("list")
    refused(
        person.run(
            "restore", str(backup), ok=False, CIVICID_WALLET_BACKUP_PASSPHRASE=OTHER_PASSPHRASE
        ),
        "wallet_restore_not_empty",
    )


def test_change_passphrase(person: Citizen) -> None:
    person.run("passphrase", CIVICID_WALLET_NEW_PASSPHRASE=OTHER_PASSPHRASE)
    refused(person.run("list", ok=False), "wallet_passphrase_wrong")
    person.run("list", CIVICID_WALLET_PASSPHRASE=OTHER_PASSPHRASE)


def test_corrupted_store_names_the_restore_command(person: Citizen) -> None:
    store = person.root / "wallet" / "wallet.db"
    store.write_bytes(store.read_bytes()[:-30])
    result = person.run("list", ok=False)
    refused(result, "wallet_store_corrupt")
    assert "civicid wallet restore" in result.stderr


def test_the_group_s_data_dir_is_the_command_s(tmp_path: Path) -> None:
    """``civicid wallet --data-dir X init`` makes the wallet in X (not in the per-user
    directory, nor in $CIVICID_DATA_DIR); a command's own --data-dir still wins."""
    chosen, elsewhere, own = tmp_path / "chosen", tmp_path / "env", tmp_path / "own"
    env = {
        "CIVICID_WALLET_PASSPHRASE": PASSPHRASE,
        "CIVICID_WALLET_KDF_MEMORY_KIB": "19456",
        "CIVICID_WALLET_KDF_ITERATIONS": "2",
        "XDG_DATA_HOME": str(tmp_path / "per-user"),
        "HOME": str(tmp_path / "home"),
    }
    runner = CliRunner()
    key = ["--ledger-key", NoteSigner.generate("ledger.test").vkey()]
    result = runner.invoke(app, ["wallet", "--data-dir", str(chosen), "init", *key], env=env)
    assert result.exit_code == 0, result.output
    assert (chosen / "wallet" / "wallet.db").exists()
    assert not (tmp_path / "per-user").exists() and not (tmp_path / "home").exists()
    result = runner.invoke(
        app,
        ["wallet", "--data-dir", str(chosen), "list"],
        env={**env, "CIVICID_DATA_DIR": str(elsewhere)},
    )
    assert result.exit_code == 0, result.output
    assert not elsewhere.exists()
    result = runner.invoke(
        app,
        ["wallet", "--data-dir", str(chosen), "init", "--data-dir", str(own), *key],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert (own / "wallet" / "wallet.db").exists()


ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def test_people_words_not_wire_names(
    person: Citizen, issuer_stub: RogueIssuer, desk_stub: RogueDesk
) -> None:
    """Claims by their type's labels (or their names in words), values and decisions in
    words, times as dates and ages: never ``age_equal_or_over.18``, ``True``,
    ``not_eligible`` or an RFC 3339 time (those stay in --json)."""
    person.run("receive", issuer_stub.offer(), "--tx-code", TX_CODE, "--yes")
    desk_stub.behaviour.required = ["given_name", "resident", "age_equal_or_over.18"]
    shown = person.run("show", person.json("list")[0]["id"]).stdout
    assert "18 or over" in shown and "Age 65 or over" in shown  # label, else in words
    assert "Address / Town" in shown and "Lyon" in shown
    result = person.run("present", desk_stub.link(), "--yes")
    history = person.run("history").stdout
    listed = person.run("list").stdout
    for text in (shown, result.stderr, result.stdout, history, listed):
        for wire in ("age_equal_or_over", "True", "False", "not_eligible", "given_name"):
            assert wire not in text, (wire, text)
        assert not ISO_TIME.search(text), text
    assert "Resident" in result.stderr and "yes" in result.stderr
    assert "shared Given name, Resident, 18 or over" in history and "Eligible" in history
    assert "checked just now" in listed
    [entry] = person.json("history")
    assert entry["disclosed"] == ["given_name", "resident", "age_equal_or_over.18"]
    assert ISO_TIME.match(entry["at"])  # the wire keeps its names and times


def test_a_refresh_that_could_not_read_a_list_says_so_and_checks_nothing(
    person: Citizen, issuer_stub: RogueIssuer
) -> None:
    person.run("receive", issuer_stub.offer(), "--tx-code", TX_CODE, "--yes")
    [card] = person.json("list")
    checkpoint = person.root / "wallet" / "checkpoint"
    assert checkpoint.is_file()
    checkpoint.write_text("x")  # the wallet's proven view of the ledger, damaged
    result = person.run("refresh", "--json", ok=False)
    assert result.exit_code == 3  # unavailable: worth retrying, not "all checked"
    report = json.loads(result.stdout)
    assert set(report["failures"].values()) == {"trust_file_invalid"}
    [after] = person.json("list")
    assert after["checked_at"] == card["checked_at"]


def test_a_lost_wallet_file_is_not_taken_for_no_wallet(
    person: Citizen, issuer_stub: RogueIssuer, tmp_path: Path
) -> None:
    person.run("receive", issuer_stub.offer(), "--tx-code", TX_CODE, "--yes")  # the ledger read
    [card] = person.json("list")
    backup = str(tmp_path / "wallet.backup")
    person.run("backup", backup, CIVICID_WALLET_BACKUP_PASSPHRASE=OTHER_PASSPHRASE)
    store = person.root / "wallet" / "wallet.db"
    store.unlink()
    result = person.run("list", ok=False)
    refused(result, "wallet_store_missing")
    assert "wallet restore" in result.stderr
    assert not store.exists()  # nothing made in its place
    person.run("restore", backup, CIVICID_WALLET_BACKUP_PASSPHRASE=OTHER_PASSPHRASE)
    assert [c["id"] for c in person.json("list")] == [card["id"]]


def test_a_refresh_with_the_ledger_unreachable_names_the_ledger(
    person: Citizen, issuer_stub: RogueIssuer
) -> None:
    # The status list's URI is the issuer's address, but the list is read from the ledger:
    # "could not read http://issuer/status/1" sent a person to the issuer, which was up.
    person.run("receive", issuer_stub.offer(), "--tx-code", TX_CODE, "--yes")
    down = f"http://127.0.0.1:{free_port()}"
    result = person.run("refresh", ok=False, CIVICID_WALLET_LEDGER_URL=down)
    assert result.exit_code == 3
    [line] = [x for x in result.stdout.splitlines() if x.startswith("could not read")]
    assert "from the ledger: " in line and f"cannot reach {down}" in line, line
    assert line.endswith("[http_unreachable]"), line

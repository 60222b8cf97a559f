"""``wallet init`` refuses before asking anything and writes nothing when refused;
``wallet config`` shows and changes the settings of a wallet that exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.checkpoint import NoteSigner
from tests.wallet.conftest import Citizen
from tests.wallet.rogue_issuer import TX_CODE, RogueIssuer
from tests.wallet.test_cli import refused
from tests.wallet.world import LedgerWorld


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_init_on_an_existing_wallet_asks_nothing_and_writes_nothing(person: Citizen) -> None:
    before = files(person.root)
    other = NoteSigner.generate("elsewhere.test").vkey()
    # No passphrase in the environment: had init asked for it, it would fail otherwise.
    result = person.run(
        "init",
        "--ledger",
        "http://127.0.0.1:1",
        "--ledger-key",
        other,
        ok=False,
        CIVICID_WALLET_PASSPHRASE="",
    )
    refused(result, "wallet_exists")
    assert "wallet config" in result.stderr and "passphrase" not in result.stderr.lower()
    assert files(person.root) == before


def test_init_without_a_ledger_key_creates_nothing(
    tmp_path: Path, ledger_world: LedgerWorld
) -> None:
    nobody = Citizen(tmp_path / "new", ledger_world)
    result = nobody.run("init", "--ledger", ledger_world.url, ok=False)
    refused(result, "wallet_ledger_unconfigured")
    assert "--ledger-key" in result.stderr and "created" not in result.stdout
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(
    "flags, code",
    [
        (("--ledger-key", "not a key"), "wallet_settings_invalid"),
        (("--ledger-key", "name+00000000+AAAA"), "wallet_settings_invalid"),
        (("--ledger", "ftp://ledger.example"), "wallet_settings_invalid"),
    ],
)
def test_init_with_a_bad_setting_creates_nothing(
    tmp_path: Path, ledger_world: LedgerWorld, flags: tuple[str, ...], code: str
) -> None:
    nobody = Citizen(tmp_path / "new", ledger_world)
    key = () if "--ledger-key" in flags else ("--ledger-key", ledger_world.vkey)
    refused(nobody.run("init", *flags, *key, ok=False), code)
    assert not (tmp_path / "new").exists()


def test_config_shows_then_changes_the_ledger(
    person: Citizen, ledger_world: LedgerWorld, issuer_stub: RogueIssuer
) -> None:
    shown = person.json("config")
    assert shown["ledger"] == ledger_world.url and shown["ledger_key"] == ledger_world.vkey
    assert shown["wallet"] is not None and shown["ledger_key_from"] == "settings"
    text = person.run("config").stdout
    assert ledger_world.url in text and ledger_world.vkey in text
    # Another ledger (its key and URL): the wallet can no longer check this one's answers.
    other = NoteSigner.generate("elsewhere.test").vkey()
    person.run("config", "--ledger", "http://127.0.0.1:1", "--ledger-key", other)
    assert person.json("config")["ledger_key"] == other
    refused(
        person.run("receive", issuer_stub.offer(), "--tx-code", TX_CODE, "--yes", ok=False),
        "http_unreachable",
    )
    # Back to the real one: receiving works again, nothing was lost.
    person.run("config", "--ledger", ledger_world.url, "--ledger-key", ledger_world.vkey)
    person.run("receive", issuer_stub.offer(), "--tx-code", TX_CODE, "--yes")
    assert len(person.json("list")) == 1
    person.run("config", "--idle-timeout", "60")
    assert person.json("config")["idle_timeout"] == 60


def test_a_new_ledger_key_drops_the_checkpoint_trusted_under_the_old_one(
    person: Citizen, ledger_world: LedgerWorld, issuer_stub: RogueIssuer
) -> None:
    person.run("receive", issuer_stub.offer(), "--tx-code", TX_CODE, "--yes")
    trusted = person.root / "wallet" / "checkpoint"
    assert trusted.exists()
    person.run("config", "--ledger", ledger_world.url)  # same key (a mirror): kept
    assert trusted.exists()
    person.run("config", "--ledger-key", NoteSigner.generate("elsewhere.test").vkey())
    assert not trusted.exists()


def test_config_refuses_a_bad_value_and_writes_nothing(person: Citizen) -> None:
    before = files(person.root)
    refused(person.run("config", "--ledger-key", "garbage", ok=False), "wallet_settings_invalid")
    refused(person.run("config", "--ledger", "not a url", ok=False), "wallet_settings_invalid")
    refused(person.run("config", "--idle-timeout", "0", ok=False), "wallet_settings_invalid")
    assert files(person.root) == before

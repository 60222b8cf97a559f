"""A wallet that ran under a witness policy and lost its ``wallet.toml`` (emptied or deleted)
does not fall back to the ledger's signature alone: it refuses to open
(``witness_policy_lost``) until the setting is back, from the file or the environment, or the
kept policy is forgotten with ``civicid wallet forget-witnesses``; ``wallet config`` still
shows the settings and says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.checkpoint_policy import CheckpointPolicy
from civicid.cosignature import CosignerKey
from civicid.ledger_client import kept_policy_file
from tests.wallet.conftest import Citizen
from tests.wallet.test_cli import refused
from tests.wallet.world import LedgerWorld
from wallet.settings import WalletSettings

POLICY_FILE = "witnesses.policy"
WITNESSES = [CosignerKey.generate(f"w{i}.example") for i in (1, 2, 3)]
POLICY = "".join(f"witness w{i} {k.vkey()}\n" for i, k in enumerate(WITNESSES, 1))
POLICY += "group all 2 w1 w2 w3\nquorum all\n"


@pytest.fixture
def person(tmp_path: Path, ledger_world: LedgerWorld) -> Citizen:
    """A wallet under a witness policy that accepted a checkpoint under it (what the ledger
    client keeps then: the policy's text beside the trust file)."""
    citizen = Citizen(tmp_path / "citizen", ledger_world)
    citizen.run("init", "--ledger", ledger_world.url, "--ledger-key", ledger_world.vkey)
    (citizen.root / POLICY_FILE).write_text(POLICY)
    toml = citizen.root / "wallet.toml"
    toml.write_text(toml.read_text() + f'witness_policy = "{POLICY_FILE}"\n')
    settings = WalletSettings.load(citizen.root)
    assert settings.checkpoint_policy().requires_witnesses
    kept = kept_policy_file(settings.trust_file)
    kept.write_text(CheckpointPolicy.parse(POLICY).witnesses.to_text())
    citizen.run("list")  # opens as it is
    return citizen


def lost(person: Citizen, **env: str) -> None:
    result = person.run("list", ok=False, **env)
    refused(result, "witness_policy_lost")
    assert "forget-witnesses" in result.stderr and "witness_policy" in result.stderr


@pytest.mark.parametrize("how", ["emptied", "deleted"])
def test_a_lost_wallet_toml_is_refused_not_read_as_no_witnesses(person: Citizen, how: str) -> None:
    toml = person.root / "wallet.toml"
    if how == "emptied":
        toml.write_bytes(b"")
    else:
        toml.unlink()
    lost(person)
    # The settings still show, and say why the wallet will not open.
    shown = person.json("config")
    assert shown["witness_policy"] is None and shown["witnesses_kept"] is True
    assert "refuses to open" in person.run("config").stdout
    # Configured by the environment instead: a wallet with no settings file is legitimate.
    person.run("list", CIVICID_WALLET_WITNESS_POLICY=POLICY_FILE)


def test_a_policy_that_asks_for_no_witness_is_a_lost_one(person: Citizen) -> None:
    (person.root / POLICY_FILE).write_text("quorum none\n")
    lost(person)


def test_a_policy_file_gone_or_emptied_is_refused_as_before(person: Citizen) -> None:
    (person.root / POLICY_FILE).write_bytes(b"")
    refused(person.run("list", ok=False), "policy_quorum_missing")
    (person.root / POLICY_FILE).unlink()
    refused(person.run("list", ok=False), "trust_policy_invalid")


def test_forgetting_the_kept_policy_lets_it_trust_the_ledger_alone(person: Citizen) -> None:
    (person.root / "wallet.toml").write_bytes(b"")
    lost(person)
    done = person.json("forget-witnesses")
    assert done["forgotten"] is True and done["witness_policy"] is None
    assert not Path(done["file"]).exists()
    person.run("list")
    assert "nothing to forget" in person.run("forget-witnesses").stdout
    assert "the ledger's signature alone" in person.run("config").stdout


def test_forgetting_with_a_policy_set_says_it_is_kept_again(person: Citizen) -> None:
    text = person.run("forget-witnesses").stdout
    assert "forgot" in text and "kept again at the next checkpoint" in text
    person.run("list")


def test_a_damaged_kept_policy_is_refused_with_its_own_code(person: Citizen) -> None:
    settings = WalletSettings.load(person.root)
    kept = kept_policy_file(settings.trust_file)
    kept.write_bytes(b"")
    refused(person.run("list", ok=False), "witness_policy_record_invalid")
    assert kept.read_bytes() == b""

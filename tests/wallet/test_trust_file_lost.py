"""A wallet that trusted a ledger checkpoint and lost the file that keeps it
(``wallet/checkpoint``) refuses to open (``trust_file_lost``) rather than trust the ledger's
next checkpoint on first use, until the file is restored or ``civicid wallet
forget-checkpoint`` forgets it; a new wallet opens as before; a new ledger key drops the
record with the checkpoint."""

from __future__ import annotations

import shutil
from pathlib import Path

from civicid.checkpoint import NoteSigner
from civicid.ledger_client import trusted_record_file
from tests.wallet.conftest import Citizen
from tests.wallet.rogue_issuer import TX_CODE, RogueIssuer
from tests.wallet.test_cli import refused
from tests.wallet.world import LedgerWorld
from wallet.settings import WalletSettings


def test_a_wallet_that_lost_its_trust_file_does_not_open_until_it_is_forgotten(
    tmp_path: Path, ledger_world: LedgerWorld, issuer_stub: RogueIssuer
) -> None:
    person = Citizen(tmp_path / "citizen", ledger_world)
    person.run("init", "--ledger", ledger_world.url, "--ledger-key", ledger_world.vkey)
    trust_file = WalletSettings.load(person.root).trust_file
    person.run("list")  # a new wallet opens
    assert not trusted_record_file(trust_file).exists()
    person.run("receive", issuer_stub.offer(), "--tx-code", TX_CODE, "--yes")  # the ledger read
    assert trust_file.exists() and trusted_record_file(trust_file).exists()
    backup = tmp_path / "checkpoint.backup"
    shutil.copy(trust_file, backup)
    trust_file.unlink()
    result = person.run("refresh", ok=False)
    refused(result, "trust_file_lost")
    assert "wallet|verifier|issuer forget-checkpoint" in " ".join(result.stderr.split())
    refused(person.run("list", ok=False), "trust_file_lost")
    shutil.copy(backup, trust_file)  # restored from a backup: opens
    person.run("refresh")
    trust_file.unlink()
    done = person.json("forget-checkpoint")
    assert done == {"forgotten": True, "file": str(trust_file)}
    assert not trusted_record_file(trust_file).exists()
    person.run("refresh")  # the ledger's checkpoint trusted on first use again
    assert trust_file.exists() and trusted_record_file(trust_file).exists()
    assert "nothing to forget" not in person.run("forget-checkpoint").stdout
    assert "nothing to forget" in person.run("forget-checkpoint").stdout


def test_a_new_ledger_key_drops_the_record_with_the_checkpoint(tmp_path: Path) -> None:
    first, second = (NoteSigner.generate(f"ledger.example/{n}").vkey() for n in "ab")
    settings = WalletSettings.load(tmp_path, ledger_url="http://127.0.0.1:9", ledger_key=first)
    settings = settings.save(ledger_key=first)
    settings.trust_file.parent.mkdir(parents=True, exist_ok=True)
    settings.trust_file.write_text("the checkpoint trusted under the first key")
    trusted_record_file(settings.trust_file).write_text("3\n")
    settings.save(ledger_key=second)
    assert not settings.trust_file.exists()
    assert not trusted_record_file(settings.trust_file).exists()

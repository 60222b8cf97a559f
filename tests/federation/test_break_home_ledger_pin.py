"""Pinning the home ledger as a foreign one is refused by ``federate add`` itself, before any
file is written: such a pin would be refused at every later load, leaving the desk or the
wallet unable to check anything until the pin is removed by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.trust.pins import Pins
from tests.federation.test_cli import failed
from tests.federation.world import Countries, policy_text
from tests.verifier.world import NATIONAL_ID, settings_for
from wallet.settings import WalletSettings


@pytest.mark.parametrize("part", ["verifier", "wallet"])
@pytest.mark.parametrize("offline", [False, True])
def test_the_home_ledger_cannot_be_pinned_as_foreign(
    countries: Countries, tmp_path: Path, part: str, offline: bool
) -> None:
    home = countries.home
    policy = tmp_path / "home.policy"
    policy.write_text(policy_text(home))
    args = [part, "federate", "add", "home-again", "--data-dir", str(home.root),
            "--policy", str(policy), "--url", countries.home_url,
            "--governance", home.genesis.governance.did, "--type", NATIONAL_ID]  # fmt: skip
    line = failed("federation_invalid", *args, *(["--offline"] if offline else []))
    assert "home ledger" in line
    where = (
        settings_for(home.root).federation_path
        if part == "verifier"
        else WalletSettings.load(home.root).federation_path
    )
    assert Pins(where).load() == ()
    assert not where.exists() or not any(where.iterdir())

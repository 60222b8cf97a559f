"""``civicid verifier federate`` and ``civicid wallet federate``: pin a foreign ledger (its
policy validated, its checkpoint and governance checked), list, remove; bad input is one line
``error: … [code]`` and leaves the pins as they were."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicid.trust.pins import Pins
from cli.main import app
from tests.federation.world import Countries, policy_text
from tests.verifier.world import NATIONAL_ID, settings_for
from wallet.settings import WalletSettings

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), prog_name="civicid")
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def failed(code: str, *args: str) -> str:
    status, out, err = run(*args)
    assert status != 0, out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert lines[0].endswith(f"[{code}]"), err
    return lines[0]


@pytest.fixture
def policy(countries: Countries, tmp_path: Path) -> Path:
    path = tmp_path / "abroad.policy"
    path.write_text(policy_text(countries.abroad).replace(
        f"log {countries.abroad.genesis.vkey}",
        f"log {countries.abroad.genesis.vkey} {countries.abroad_url}",
    ))  # fmt: skip
    return path


def add(countries: Countries, policy: Path, *extra: str, part: str = "verifier") -> list[str]:
    governance = countries.abroad.genesis.governance.did
    return [part, "federate", "add", "abroad", "--data-dir", str(countries.home.root),
            "--policy", str(policy), "--governance", governance, *extra]  # fmt: skip


def test_a_desk_pins_lists_and_removes_a_ledger(countries: Countries, policy: Path) -> None:
    status, out, err = run(*add(countries, policy, "--type", NATIONAL_ID))
    assert status == 0, err
    assert "checkpoint" in out and "accepted" in out
    (pinned,) = Pins(settings_for(countries.home.root).federation_path).load()
    assert pinned.urls == countries.abroad_url and pinned.types == (NATIONAL_ID,)
    status, out, _ = run("verifier", "federate", "list", "--data-dir", str(countries.home.root))
    assert status == 0 and "abroad" in out and NATIONAL_ID in out
    status, _, _ = run("verifier", "federate", "remove", "abroad",
                       "--data-dir", str(countries.home.root))  # fmt: skip
    assert status == 0
    assert Pins(settings_for(countries.home.root).federation_path).load() == ()


def test_a_wallet_pins_a_ledger(countries: Countries, policy: Path) -> None:
    status, _, err = run(*add(countries, policy, part="wallet"))
    assert status == 0, err
    where = WalletSettings.load(countries.home.root).federation_path
    assert [p.name for p in Pins(where).load()] == ["abroad"]


def test_a_bad_policy_file_is_refused(countries: Countries, tmp_path: Path) -> None:
    bad = tmp_path / "bad.policy"
    bad.write_text("quorum nobody\n")
    failed("federation_invalid", *add(countries, bad, "--url", countries.abroad_url))
    failed("federation_invalid", *add(countries, tmp_path / "missing.policy"))
    assert not Pins(settings_for(countries.home.root).federation_path).index.exists()


def test_a_policy_without_url_needs_one(countries: Countries, tmp_path: Path) -> None:
    bare = tmp_path / "bare.policy"
    bare.write_text(policy_text(countries.abroad))
    line = failed("federation_invalid", *add(countries, bare))
    assert "--url" in line


def test_another_governance_is_refused(countries: Countries, policy: Path) -> None:
    args = add(countries, policy)
    args[args.index("--governance") + 1] = countries.home.genesis.governance.did
    failed("ledger_governance_mismatch", *args)
    assert Pins(settings_for(countries.home.root).federation_path).load() == ()


def test_a_bad_name_and_an_unknown_one(countries: Countries, policy: Path) -> None:
    args = add(countries, policy)
    args[args.index("abroad")] = "Not/A/Name"
    failed("federation_invalid", *args)
    failed("federation_invalid", *add(countries, policy, "--max-age", "0"))
    failed("federation_unknown", "verifier", "federate", "remove", "nowhere",
           "--data-dir", str(countries.home.root))  # fmt: skip

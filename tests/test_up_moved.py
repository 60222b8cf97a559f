"""A data dir ``civicid up`` set up, copied (or moved) elsewhere and started there: every part's
settings name the witness policy of the data dir they are in, relative to it. Before, they
named the one where the data dir was made, by its absolute path: a moved dir's parts read a
policy that was gone, a copy's read the original's (its witnesses, not the copy's)."""

from __future__ import annotations

import shutil
import tomllib
from contextlib import ExitStack
from pathlib import Path

from civicid.checkpoint_policy import CheckpointPolicy
from cli import stack
from cli.harness import free_port
from cli.up import point_the_wallet, up_rule
from issuer.settings import IssuerSettings
from verifier.settings import VerifierSettings
from wallet.settings import WalletSettings

POLICY = f"{stack.STATE_DIR}/{stack.WITNESS_POLICY}"
# Each settings file up writes, and how it names the policy (the rule's issuer has its own
# data dir, inside up's).
SETTINGS = {
    "issuer.toml": POLICY,
    "verifier.toml": POLICY,
    "wallet.toml": POLICY,
    "transport/issuer.toml": f"../{POLICY}",
}


def up_once(root: Path, issuer_port: int) -> None:
    """As ``civicid up`` sets up and serves: the parts, the wallet's settings, the rule's
    issuer (at the port its DID names after the first run)."""
    with (
        stack.running(root, stack.Ports(free_port(), issuer_port, free_port())) as services,
        ExitStack() as extra,
    ):
        point_the_wallet(root, services)
        up_rule(extra, root, services, 0)


def test_a_data_dir_copied_elsewhere_names_its_own_witness_policy(tmp_path: Path) -> None:
    first, copy = tmp_path / "first", tmp_path / "elsewhere" / "copy"
    issuer_port = free_port()  # the agency's DID names its issuer's address for good
    up_once(first, issuer_port)
    shutil.copytree(first, copy)
    up_once(copy, issuer_port)  # the witnesses on other ports: the copy's policy changed
    policy = copy / stack.STATE_DIR / stack.WITNESS_POLICY
    assert policy.read_text() != (first / stack.STATE_DIR / stack.WITNESS_POLICY).read_text()
    for name, named in SETTINGS.items():
        assert tomllib.loads((copy / name).read_text())["witness_policy"] == named, name
    shutil.rmtree(first)  # and moved: nothing of the first place is read
    expected = CheckpointPolicy.load(policy).witnesses
    # Each part as its own command loads its settings (no flag from up).
    assert IssuerSettings.load(copy).checkpoint_policy().witnesses == expected
    assert IssuerSettings.load(copy / "transport").checkpoint_policy().witnesses == expected
    assert VerifierSettings.load(copy).checkpoint_policy().witnesses == expected
    assert WalletSettings.load(copy).checkpoint_policy().witnesses == expected

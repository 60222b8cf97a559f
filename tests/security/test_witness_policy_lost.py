"""A split view shown to a client whose witness policy setting was lost. The client accepted
the shared history under a witness quorum; the key holder then grows a second history no
witness saw. Given no policy (its settings file emptied), the client is refused as it starts
(``witness_policy_lost``) rather than take the second history on the ledger's signature: the
same client with its kept policy forgotten does take it, which is what the refusal prevents."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from civicid.checkpoint_policy import CheckpointPolicy
from civicid.cosignature import CosignerKey
from civicid.errors import Error
from civicid.ledger_client import WITNESS_POLICY_LOST, LedgerClient, forget_kept_policy
from ledger.setup import open_ledger
from tests.ledger.conftest import World
from tests.ledger.witnesses import MemoryWitness, policy_text
from tests.security.test_fork_across_client_runs import served, world_register_tx
from tests.security.test_witnessed_checkpoints import Now, until, witnessed


def test_a_client_that_lost_its_policy_is_not_shown_a_split_view(
    world: World, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    witnesses = {
        name: MemoryWitness(CosignerKey.generate(f"{name}.example"), world.genesis.vkey)
        for name in ("w1", "w2", "w3")
    }
    policy = CheckpointPolicy.parse(policy_text(witnesses, 2))
    vkey, trust = world.genesis.vkey, tmp_path / "checkpoint"
    world.register()
    with witnessed(world.ledger, witnesses), served(world.ledger) as url:
        until(lambda: all(w.state and w.state[0] == world.ledger.signed.size
                          for w in witnesses.values()), "the shared history cosigned")  # fmt: skip
        wallet = LedgerClient(url, vkey, trust_file=trust, policy=policy, clock=Now())
        shared = wallet.checkpoint().size
        wallet.close()
    # The key holder's second history, grown from the shared one: no witness saw it.
    root = tmp_path_factory.mktemp("split") / "data"
    shutil.copytree(world.root, root)
    other = open_ledger(root, clock=world.clock)
    try:
        other.submit(world_register_tx(world))
        assert other.signed.size > shared
        with served(other) as b_url:
            with pytest.raises(Error) as caught:
                LedgerClient(b_url, vkey, trust_file=trust)  # wallet.toml emptied: no policy
            assert WITNESS_POLICY_LOST.matches(caught.value), caught.value
            with pytest.raises(Error) as caught:
                LedgerClient(b_url, vkey, trust_file=trust, policy=CheckpointPolicy())
            assert WITNESS_POLICY_LOST.matches(caught.value), caught.value
            # What the refusal stands in front of: forgotten, the ledger's word alone is taken.
            assert forget_kept_policy(trust) is True
            loose = LedgerClient(b_url, vkey, trust_file=trust)
            assert loose.checkpoint().size == other.signed.size
            loose.close()
    finally:
        other.close()

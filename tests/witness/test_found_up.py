"""``civicid up`` with a witness whose stored state the disk damaged: it stops with the
witness's own code (``witness_state_unreadable``), not a server's traceback followed by
``service_start_failed``, and the state file is left as it was for its operator."""

from __future__ import annotations

import shutil
from contextlib import ExitStack
from pathlib import Path

import pytest

from civicid.errors import Error
from cli.stack import WITNESS_NAMES, serve_witnesses
from ledger.witness.errors import WITNESS_STATE_UNREADABLE
from ledger.witness.settings import WitnessSettings
from ledger.witness.setup import initialize, log_setting, open_witness
from tests.witness.logs import Log


def test_a_damaged_witness_state_stops_up_with_its_code(tmp_path: Path) -> None:
    homes = []
    for number, _ in enumerate(WITNESS_NAMES, start=1):
        home = tmp_path / f"w{number}"
        initialize(home, f"w{number}.example", [log_setting(Log().signer.vkey())])
        homes.append(home)
    state = homes[0] / "witness" / "state"
    state.mkdir(parents=True)
    damaged = state / ("0" * 32 + ".state")
    damaged.write_bytes(b"\x00junk" * 20)
    with pytest.raises(Error) as refused, ExitStack() as stack:
        serve_witnesses(stack, homes, (0,) * len(homes))
    assert WITNESS_STATE_UNREADABLE.matches(refused.value), refused.value
    assert damaged.read_bytes() == b"\x00junk" * 20


def test_a_witness_that_lost_its_state_directory_stops_up(tmp_path: Path) -> None:
    log = Log().grow(4)
    homes = []
    for number, _ in enumerate(WITNESS_NAMES, start=1):
        home = tmp_path / f"w{number}"
        initialize(home, f"w{number}.example", [log_setting(log.signer.vkey())])
        homes.append(home)
    witness = open_witness(WitnessSettings.load(homes[0]))
    try:
        witness.add_checkpoint(log.body(0))
    finally:
        witness.close()
    shutil.rmtree(homes[0] / "witness")
    with pytest.raises(Error) as refused, ExitStack() as stack:
        serve_witnesses(stack, homes, (0,) * len(homes))
    assert WITNESS_STATE_UNREADABLE.matches(refused.value), refused.value
    assert not list((homes[0] / "witness").rglob("*.state"))

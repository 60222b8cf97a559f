"""A pin's client keeps its newest checkpoint where the pins module says it is (the file
``Pins.forget_checkpoint`` and ``federate remove`` take away with the pin): the place is
named once, in ``civicid.trust.pins``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from civicid.checkpoint import NoteSigner
from civicid.ledger_client import LedgerClient
from civicid.trust import pins as pins_module
from civicid.trust.federation import Federation
from civicid.trust.pins import PinnedLedger, Pins
from civicid.trust.questions import Trust
from tests.verifier.world import NATIONAL_ID

UNREACHABLE = "http://127.0.0.1:9"  # never asked: making the clients asks nothing
GOVERNANCE = "did:civicid:" + "a" * 32


def test_a_pins_client_keeps_its_checkpoint_where_the_pins_say(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pins_module, "TRUST_SUFFIX", ".newest-checkpoint")
    made: list[Path | None] = []

    def client(*args: Any, **kwargs: Any) -> LedgerClient:
        made.append(kwargs["trust_file"])
        return LedgerClient(*args, **kwargs)

    abroad = NoteSigner.generate("abroad.example/ledger").vkey()
    pin = PinnedLedger(
        name="abroad",
        urls=UNREACHABLE,
        policy_text=f"log {abroad}\nquorum none\n",
        governance=GOVERNANCE,  # type: ignore[arg-type]
        types=(NATIONAL_ID,),
    )
    local = Trust(LedgerClient(UNREACHABLE, NoteSigner.generate("home.example/ledger").vkey()))
    federation = Federation.open(local, [pin], trust_dir=tmp_path, client=client)
    try:
        assert made == [tmp_path / "abroad.newest-checkpoint"]
        assert made == [Pins(tmp_path).trust_file("abroad")]
    finally:
        federation.close()
        local.close()

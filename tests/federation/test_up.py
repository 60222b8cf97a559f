"""``civicid up --federation``: a second country's ledger and desk beside the first, the desk
pinning the first ledger; set up once, found again on the next run."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx

from civicid.trust.pins import Pins
from tests.test_up import ports, up
from verifier.settings import VerifierSettings


def test_up_with_federation_serves_a_desk_pinning_the_ledger(tmp_path: Path) -> None:
    data = tmp_path / "civicid"
    with up(data, *ports(), "--federation") as (process, info):
        abroad = info["federation"]
        for url in (abroad["ledger"]["url"], abroad["verifier"]["url"]):
            assert httpx.get(url + "/health", timeout=5).status_code == 200
        assert abroad["ledger"]["checkpointKey"] != info["ledger"]["checkpointKey"]
        assert abroad["pinned"]["urls"] == info["ledger"]["url"]
        (pin,) = Pins(VerifierSettings.load(data / "varn").federation_path).load()
        assert pin.vkey == info["ledger"]["checkpointKey"]
        assert len(pin.policy.witnesses.witnesses) == 3  # the ledger's own witnesses
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    with up(data, *ports(info["issuer"]["url"]), "--federation") as (_, again):
        assert again["federation"]["verifier"]["did"] == abroad["verifier"]["did"]
        assert again["federation"]["ledger"]["checkpointKey"] == abroad["ledger"]["checkpointKey"]

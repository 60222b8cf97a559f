"""Every service ``civicid up --federation`` runs beyond the three ``tests/test_up.py`` holds
to the server limits: the three witnesses, the second country's ledger and its desk. Each
gets the slow, silent, greedy and oversize client cases, served as its own ``serve`` serves
it."""

from __future__ import annotations

from pathlib import Path

from tests.slow_clients import CASES, LIMITS, Target
from tests.test_up import ports, up


def test_witnesses_and_the_second_country_hold_to_the_server_limits(tmp_path: Path) -> None:
    env = {
        f"CIVICID_{part}_{name.upper()}": str(value)
        for part in ("LEDGER", "ISSUER", "VERIFIER", "WITNESS")
        for name, value in LIMITS.items()
    }
    log = (tmp_path / "up.log").open("w", encoding="utf-8")
    with (
        log,
        up(tmp_path / "civicid", *ports(), "--federation", env=env, stderr=log) as (
            _,
            info,
        ),
    ):
        abroad = info["federation"]
        targets = [
            Target(w["url"], post="/add-checkpoint", too_large="request_body_too_large")
            for w in info["witnesses"]["members"]
        ] + [
            Target(abroad["ledger"]["url"], post="/transactions", too_large="tx_too_large"),
            Target(abroad["verifier"]["url"], post="/requests",
                   too_large="request_body_too_large"),
        ]  # fmt: skip
        for target in targets:
            for case in CASES:
                case(target)

"""What ``civicid up`` tells a person to do next: commands that run as printed from another
terminal (``civicid`` from where it was started when it is not on the PATH, the example
claims wherever the terminal is), then the steps in the wallet and on the desk page."""

from __future__ import annotations

import shlex
import stat
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from cli import stack
from cli.up import describe

KEY = "cik_0123456789abcdef_secret"


def running() -> stack.Running:
    data = {
        "ledger": {"url": "http://127.0.0.1:1", "docs": "http://127.0.0.1:1/docs"},
        "issuer": {"url": "http://127.0.0.1:2", "docs": "http://127.0.0.1:2/docs"},
        "verifier": {"deskPage": "http://127.0.0.1:3/"},
        "witnesses": {"quorum": 2, "members": [{"name": "w1", "url": "http://127.0.0.1:4"}]},
    }
    fake: Any = SimpleNamespace(
        to_json=lambda: data, clerk_key=KEY, ledger=SimpleNamespace(vkey="origin+abc+key")
    )
    return cast(stack.Running, fake)


def commands(text: str) -> list[list[str]]:
    """Each command printed after "Next", its continuation lines joined, as a shell splits it."""
    lines = text.split("Next, in another terminal:")[1].replace("\\\n", " ").splitlines()
    return [shlex.split(line) for line in lines if "CIVICID_DATA_DIR=" in line]


def test_up_names_the_program_it_runs_as_when_civicid_is_not_on_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = tmp_path / "checkout" / ".venv" / "bin" / "civicid"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(stat.S_IRWXU)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(sys, "argv", [str(program), "up"])
    wallet, offer = commands(describe(running(), tmp_path / "data"))
    assert wallet == [f"CIVICID_DATA_DIR={tmp_path / 'data'}", str(program), "wallet"]
    assert offer[:3] == [f"CIVICID_DATA_DIR={tmp_path / 'data'}",
                         f"CIVICID_ISSUER_API_KEY={KEY}", str(program)]  # fmt: skip
    assert offer[3:7] == ["issuer", "offer", "--record", "R-1"]
    # The example claims are found from the terminal's directory, whichever it is.
    assert offer[7] == "--claims" and (elsewhere / offer[8]).is_file()


def test_up_says_civicid_when_it_is_on_the_path_and_what_to_do_in_the_wallet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_path = tmp_path / "bin" / "civicid"
    on_path.parent.mkdir()
    on_path.write_text("#!/bin/sh\n")
    on_path.chmod(stat.S_IRWXU)
    monkeypatch.setenv("PATH", str(on_path.parent))
    monkeypatch.setattr(sys, "argv", ["/somewhere/else/civicid", "up"])
    text = describe(running(), tmp_path / "data")
    wallet, offer = commands(text)
    assert wallet[1:] == ["civicid", "wallet"] and offer[2] == "civicid"
    # After the commands: how the offer reaches the wallet, and how the desk asks for it.
    steps = text.split("Next, in another terminal:")[1]
    assert "3. In the wallet: r, paste the offer link, Enter, then the transaction code." in steps
    assert "in the wallet: p, paste the link, Enter, then Send." in steps


def test_up_tells_how_to_ask_its_rule_from_the_wallet(tmp_path: Path) -> None:
    from cli.up import RuleUp

    rule = RuleUp("http://127.0.0.1:5", "did:civicid:transport", "senior-transit")
    text = describe(running(), tmp_path / "data", rule)
    step = text.split("  5. ")[1]
    assert "in the wallet: a, its address http://127.0.0.1:5, Enter," in step
    assert "the rule senior-transit, Enter, then Send." in step
    assert "which condition is not met before anything is sent" in step
    assert "  5. " not in describe(running(), tmp_path / "data")  # none served: not told

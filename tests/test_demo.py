"""``civicid demo`` from the installed package: every step of the story behaves as told; and
it fails cleanly, with one line and a code, where it cannot run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from cli.demo import next_step

CIVICID = str(Path(sys.executable).parent / "civicid")
STEPS = [
    "ledger", "identities", "accreditations", "type", "services", "offer", "receive",
    "request", "present", "decision", "refusal", "revoke", "again",
    "rule", "by-rule", "by-rule-refused", "voucher", "voucher-again",
    "federation", "abroad", "abroad-revoked", "audit", "split",
]  # fmt: skip


def civicid(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [CIVICID, *args], capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


def test_demo_json_tells_every_step_and_each_holds(tmp_path: Path) -> None:
    result = civicid("demo", "--json", "--data-dir", str(tmp_path / "demo"))
    assert result.returncode == 0, result.stderr
    story = json.loads(result.stdout)
    assert story["ok"] is True and story["error"] is None
    assert [s["name"] for s in story["steps"]] == STEPS
    assert all(s["ok"] for s in story["steps"])
    facts = {s["name"]: s["facts"] for s in story["steps"]}
    # The citizen disclosed residence and the age result only: no name, birth date, address.
    assert facts["present"]["disclosed"] == ["age_equal_or_over.18", "resident"]
    assert facts["decision"]["decision"] == "eligible"
    assert facts["refusal"]["refused"] == "wallet_claim_not_allowed"
    assert facts["again"] == {"refused": "wallet_credential_revoked"}
    # A pass issued by the rule; refused under 65 with the failed condition; a voucher once.
    assert facts["by-rule"]["version"] == 1
    assert facts["by-rule-refused"] == {"refused": "predicate_failed"}
    assert facts["voucher-again"] == {"refused": "entitlement_already_redeemed"}
    assert facts["receive"]["copies"] >= 2
    # Another country's desk, pinning this ledger, finds its national ID eligible, then
    # revoked: the wallet abroad and the desk abroad each read the list on this ledger.
    assert facts["abroad"]["decision"] == "eligible"
    assert facts["abroad-revoked"] == {"wallet": "wallet_credential_revoked",
                                       "desk": "status_revoked"}  # fmt: skip
    assert facts["audit"]["entries"] >= 8
    # Three witnesses; a copy of the ledger signing another history under its key is refused
    # by every witness (who keeps the evidence) and by a fresh wallet.
    assert len(facts["ledger"]["witnesses"]) == 3
    assert len(facts["split"]["witnessRefusal"]) == 3
    assert all("witness_checkpoint_conflict" in r for r in facts["split"]["witnessRefusal"])
    assert facts["split"]["walletRefusal"] == "checkpoint_quorum_missing"
    assert facts["split"]["evidence"] == "same_size"


def test_demo_text_narrates_what_crossed_the_wire(tmp_path: Path) -> None:
    result = civicid("demo", "--data-dir", str(tmp_path / "demo"))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    told = ("POST /staff/offers", "POST /requests", "disclosed: age_equal_or_over.18",
            "decision: eligible", "[wallet_claim_not_allowed]",
            "[wallet_credential_revoked]", "— witness-1.civicid.example",
            "[checkpoint_quorum_missing]",
            "from the rule on the ledger: Not met: Age 65 or over")  # fmt: skip
    for line in told:
        assert line in out
    assert "\ndemo complete: every step behaved as told\n" in out
    # Then what to do next, with the command as it was run.
    assert out.rstrip().endswith(
        f"  {CIVICID} up --data-dir ~/civicid-play   (it prints the URLs, then what to do)"
    )
    # The citizen's claims never reach the disk in clear: the wallet store is sealed.
    sealed = (tmp_path / "demo" / "citizen" / "wallet" / "wallet.db").read_bytes()
    assert b"Lovelace" not in sealed and b"Lyon" not in sealed


def test_demo_refuses_a_directory_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "something").write_text("mine")
    result = civicid("demo", "--data-dir", str(tmp_path))
    assert result.returncode == 3
    assert result.stderr.strip().endswith("[demo_dir_unwritable]")
    assert "Traceback" not in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["something"]


def test_demo_in_a_directory_it_cannot_write(tmp_path: Path) -> None:
    """A data dir under a plain file cannot be made, whoever runs the demo (root included)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = civicid("demo", "--data-dir", str(blocker / "demo"))
    assert result.returncode == 3
    assert "[demo_dir_unwritable]" in result.stderr and "Traceback" not in result.stderr


def test_demo_json_names_the_failure(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("")
    result = civicid("demo", "--json", "--data-dir", str(tmp_path))
    story = json.loads(result.stdout)
    assert story["ok"] is True and story["steps"] == []
    assert story["error"]["error"] == "demo_dir_unwritable"


def test_demo_interrupted_leaves_no_process_and_says_so(tmp_path: Path) -> None:
    """Ctrl-C while the services run: one line, non-zero, and every port let go."""
    # Unbuffered, so the line we wait for arrives when it is printed, not at exit.
    env = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
    # A test run started in the background (`cmd &` without job control) ignores SIGINT, and
    # an ignored signal stays ignored across exec: the demo would never see the Ctrl-C.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process = subprocess.Popen(
            [CIVICID, "demo", "--data-dir", str(tmp_path / "demo")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
    finally:
        signal.signal(signal.SIGINT, previous)
    assert process.stdout is not None
    # Interrupt as soon as the ledger answers: the rest of the story still has seconds to
    # run, so a slow machine cannot let the demo finish before the signal lands.
    for line in process.stdout:
        if line.lstrip().startswith("GET http"):
            break
    else:
        raise AssertionError("the demo never served its ledger")
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 3, err
    assert err.strip().splitlines()[-1].endswith("[demo_interrupted]")
    assert "Traceback" not in err


def test_the_makefile_demo_is_this_command() -> None:
    makefile = (Path(__file__).parents[1] / "Makefile").read_text("utf-8")
    assert "$(BIN)/civicid demo" in makefile
    assert shutil.which(CIVICID) is not None


def test_what_to_do_next_names_the_command_as_it_was_run() -> None:
    said = next_step(".venv/bin/civicid")
    assert said.startswith("next: ")
    assert "  .venv/bin/civicid up --data-dir ~/civicid-play " in said
    assert "  civicid up --data-dir" in next_step("/usr/lib/python3/pytest")

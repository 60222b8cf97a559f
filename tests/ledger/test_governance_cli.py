"""``civicid ledger`` governance commands as a user runs them: table and --json output, exit
codes with the rule that failed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.ledger.trust import NATIONAL_ID, SCHEMA, metadata

runner = CliRunner()


def day(offset: int) -> str:
    """A date ``offset`` days from today (the commands use the real clock)."""
    return (datetime.now(UTC) + timedelta(days=offset)).strftime("%Y-%m-%d")


BENEFIT = "https://civicid.example/vct/benefit-eligibility"


def civicid(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def did_of(data: Path, name: str, role: str) -> str:
    # An agency names its public base URL: its status lists live under it.
    service = ["--service", "https://health.example"] if role == "agency" else []
    code, out, _ = civicid(
        "ledger", "register", name, "--role", role, *service, "--data-dir", str(data), "--json"
    )
    assert code == 0, out
    return str(json.loads(out)["did"])


@pytest.fixture
def data(tmp_path: Path) -> Path:
    code, out, _ = civicid("ledger", "init", "--data-dir", str(tmp_path))
    assert code == 0, out
    return tmp_path


def accredit_issuer(data: Path, did: str, *extra: str) -> tuple[int, str, str]:
    return civicid(
        "ledger",
        "accredit-issuer",
        did,
        "--vct",
        NATIONAL_ID,
        "--vct",
        BENEFIT,
        "--days",
        "365",
        "--purpose",
        "Issue identity credentials",
        "--legal-basis",
        "Identity Act 2026, s. 4",
        "--data-dir",
        str(data),
        *extra,
    )


def test_accredit_revoke_and_list(data: Path) -> None:
    agency, desk = did_of(data, "health", "agency"), did_of(data, "desk", "service-desk")
    code, out, _ = accredit_issuer(data, agency, "--id", "acc-health-0001")
    assert code == 0 and out.startswith("acc-health-0001: issuer " + agency), out
    code, out, _ = civicid(
        "ledger",
        "accredit-verifier",
        desk,
        "--vct",
        NATIONAL_ID,
        "--claim",
        "given_name",
        "--claim",
        "age_over_18",
        "--until",
        day(365),
        "--from",
        day(-30),
        "--purpose",
        "Age checks at the desk",
        "--legal-basis",
        "Licensing Act, s. 2",
        "--data-dir",
        str(data),
        "--json",
    )
    assert code == 0, out
    granted = json.loads(out)
    assert granted["claims"] == {NATIONAL_ID: ["given_name", "age_over_18"]}
    assert granted["receipt"]["seq"] == 4 and granted["receipt"]["type"] == "accreditation.grant"
    desk_acc = granted["accreditation"]

    code, out, _ = civicid(
        "ledger", "revoke-accreditation", desk_acc, "--reason", "closed", "--data-dir", str(data)
    )
    assert code == 0 and out.strip() == f"{desk_acc} revoked (entry 5)"

    code, out, _ = civicid("ledger", "list-accreditations", "--data-dir", str(data))
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].split() == [
        "ID",
        "KIND",
        "SUBJECT",
        "SCOPE",
        "VALID",
        "FROM",
        "VALID",
        "UNTIL",
        "STATUS",
    ]
    assert len(lines) == 3
    # Aligned: every column starts where its header does.
    for header in ("KIND", "SUBJECT", "SCOPE", "VALID UNTIL", "STATUS"):
        column = lines[0].index(header)
        assert all(line[column - 2 : column] == "  " for line in lines[1:]), header
    assert lines[1].startswith("acc-health-0001") and lines[1].endswith("active")
    assert f"{NATIONAL_ID}, {BENEFIT}" in lines[1]
    assert f"{NATIONAL_ID}: given_name, age_over_18" in lines[2]
    assert f"{day(-30)}  {day(365)}" in lines[2] and lines[2].endswith("revoked")

    code, out, _ = civicid(
        "ledger", "list-accreditations", "--data-dir", str(data), "--json", "--subject", desk
    )
    body = json.loads(out)
    assert [a["status"] for a in body["accreditations"]] == ["revoked"]
    assert body["accreditations"][0]["revoked"]["reason"] == "closed"
    code, out, _ = civicid(
        "ledger", "list-accreditations", "--data-dir", str(data), "--at", day(-10)
    )
    assert out.splitlines()[2].endswith("active")  # before its revocation


def test_list_with_no_accreditations(data: Path) -> None:
    code, out, _ = civicid("ledger", "list-accreditations", "--data-dir", str(data))
    assert code == 0 and out.strip() == "no accreditations"


def test_refusals_name_their_rule(data: Path) -> None:
    desk = did_of(data, "desk", "service-desk")
    code, out, err = accredit_issuer(data, desk, "--json")
    assert code == 1 and "[accreditation_subject_role]" in err
    assert json.loads(out)["error"] == "accreditation_subject_role"
    code, _, err = civicid(
        "ledger", "revoke-accreditation", "acc-not-there", "--reason", "x", "--data-dir", str(data)
    )
    assert code == 1 and "[accreditation_not_found]" in err
    code, _, err = civicid(
        "ledger",
        "accredit-issuer",
        desk,
        "--vct",
        NATIONAL_ID,
        "--purpose",
        "p",
        "--legal-basis",
        "l",
        "--data-dir",
        str(data),
    )
    assert code == 2 and "--until" in err  # usage: one of --until and --days


def test_register_type_and_publish_then_update_a_status_list(data: Path) -> None:
    agency = did_of(data, "health", "agency")
    assert accredit_issuer(data, agency)[0] == 0
    (data / "meta.json").write_text(json.dumps(metadata()))
    (data / "schema.json").write_text(json.dumps(SCHEMA))
    code, out, _ = civicid(
        "ledger",
        "register-type",
        "health",
        "--vct",
        NATIONAL_ID,
        "--metadata",
        str(data / "meta.json"),
        "--schema",
        str(data / "schema.json"),
        "--data-dir",
        str(data),
    )
    assert code == 0 and "registered" in out, out
    uri = "https://health.example/status/1"
    code, out, _ = civicid(
        "ledger",
        "publish-status-list",
        "health",
        "--uri",
        uri,
        "--size",
        "1000000",
        "--revoke",
        "17",
        "--suspend",
        "99",
        "--data-dir",
        str(data),
        "--json",
    )
    assert code == 0, out
    first = json.loads(out)
    assert first["size"] == 1_000_000 and first["tokenBytes"] < 2048
    code, out, _ = civicid(
        "ledger",
        "publish-status-list",
        "health",
        "--uri",
        uri,
        "--reinstate",
        "99",
        "--revoke",
        "18",
        "--data-dir",
        str(data),
    )
    assert code == 0 and "2 revoked, 0 suspended" in out, out
    did_of(data, "other", "agency")
    code, _, err = civicid(
        "ledger",
        "publish-status-list",
        "other",
        "--uri",
        uri,
        "--revoke",
        "3",
        "--data-dir",
        str(data),
    )
    assert code == 1 and "[status_list_not_owner]" in err


def test_governance_commands_write_through_a_running_ledger(data: Path) -> None:
    """Beside a server (which holds the write lock) the commands go through it: --ledger."""
    from cli.harness import free_port, serving
    from ledger.app import create_app
    from ledger.settings import LedgerSettings

    agency = did_of(data, "health", "agency")
    uri = "https://health.example/status/2"
    with serving(create_app(LedgerSettings(data_dir=data)), free_port()) as url:
        code, _, err = accredit_issuer(data, agency)
        assert code == 3 and "[store_locked]" in err  # the local store is the server's
        code, out, err = accredit_issuer(data, agency, "--ledger", url)
        assert code == 0, err
        for extra in (("--revoke", "3", "--suspend", "4"), ("--reinstate", "4")):
            code, out, err = civicid(
                "ledger",
                "publish-status-list",
                "health",
                "--uri",
                uri,
                "--size",
                "5000",
                *extra,
                "--ledger",
                url,
                "--data-dir",
                str(data),
            )
            assert code == 0, err
        assert "1 revoked, 0 suspended" in out  # the update started from the proven list
        code, out, _ = civicid("ledger", "list-accreditations", "--data-dir", str(data))
        assert code == 0 and out.splitlines()[1].endswith("active")

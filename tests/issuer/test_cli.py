"""``civicid issuer …`` as an agency runs it: init checked on the ledger, clerks, offers one by
one and from CSV against a running issuer, status changes and publication; exit codes with
error codes, never a traceback."""

from __future__ import annotations

import csv
import json
import os
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicid.keystore import KeyStore
from cli.harness import free_port, serving
from cli.main import app
from issuer.app import create_app
from issuer.settings import CONFIG_FILE, IssuerSettings
from issuer.staff_cli import MAX_CLAIMS_FILE_BYTES
from tests.issuer.conftest import (
    NATIONAL_ID,
    TYPES,
    UNREGISTERED,
    Env,
    LedgerWorld,
)

runner = CliRunner()


def civicid(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


PUBLIC_URL = f"https://issuer-{secrets.token_hex(4)}.example"


def init_args(data: Path, world: LedgerWorld, vct: str = NATIONAL_ID) -> list[str]:
    return [
        "issuer",
        "init",
        "--data-dir",
        str(data),
        "--vct",
        vct,
        "--public-url",
        PUBLIC_URL,
        "--ledger-url",
        world.url,
        "--checkpoint-key",
        world.vkey,
    ]


@pytest.fixture
def agency_dir(tmp_path: Path, ledger_world: LedgerWorld) -> Path:
    agency, _ = ledger_world.agency(PUBLIC_URL)  # its lists live under its public URL
    KeyStore(tmp_path / "keys").put("agency", agency.to_json())
    return tmp_path


def test_init_then_add_clerk(agency_dir: Path, ledger_world: LedgerWorld) -> None:
    code, out, err = civicid(*init_args(agency_dir, ledger_world), "--json")
    assert code == 0, err
    body = json.loads(out)
    assert body["configurations"][0]["vct"] == NATIONAL_ID
    assert body["statusList"]["ledgerSeq"] > 0
    settings = IssuerSettings.load(agency_dir)
    assert settings.credential_configurations[0].id == "national-id"
    code, out, err = civicid(
        "issuer", "add-clerk", "alice", "--scope", "issue", "--data-dir", str(agency_dir)
    )
    assert code == 0, err
    assert out.strip().splitlines()[-1].startswith("cik_")
    code, _, err = civicid(*init_args(agency_dir, ledger_world))
    assert code == 1 and "[issuer_exists]" in err


def test_init_refuses_an_unregistered_type(agency_dir: Path, ledger_world: LedgerWorld) -> None:
    code, _, err = civicid(*init_args(agency_dir, ledger_world, UNREGISTERED))
    assert code == 1 and "[credential_type_not_found]" in err
    assert not (agency_dir / CONFIG_FILE).exists()
    assert "Traceback" not in err


def test_init_refuses_a_type_the_agency_is_not_accredited_for(
    tmp_path: Path, ledger_world: LedgerWorld
) -> None:
    other = ledger_world.register("agency")
    ledger_world.accredit(other, [UNREGISTERED])  # accredited, but not for the national ID
    KeyStore(tmp_path / "keys").put("agency", other.to_json())
    code, _, err = civicid(*init_args(tmp_path, ledger_world))
    assert code == 1 and "[issuer_not_accredited]" in err
    assert not (tmp_path / CONFIG_FILE).exists()
    assert not (tmp_path / "issuer" / "issuer.db").exists()


def test_init_with_no_agency_key(tmp_path: Path, ledger_world: LedgerWorld) -> None:
    code, _, err = civicid(*init_args(tmp_path, ledger_world))
    assert code == 1 and "[key_not_found]" in err


@pytest.fixture
def served(env: Env) -> Iterator[str]:
    with serving(create_app(issuer=env.issuer, background=False), free_port()) as url:
        yield url


def test_offer_prints_qr_and_tx_code(env: Env, served: str) -> None:
    code, out, err = civicid(
        "issuer",
        "offer",
        "--data-dir",
        str(env.data_dir),
        "--record",
        "REG-42",
        "--claims",
        str(TYPES / "national-id.claims.json"),
        "--url",
        served,
        env={"CIVICID_ISSUER_API_KEY": env.keys["alice"]},
    )
    assert code == 0, err
    assert "▄" in out or "█" in out  # the QR code, drawn for the terminal
    assert "transaction code (hand over separately):" in out
    assert "openid-credential-offer://?credential_offer_uri=" in out
    # What the citizen does with them, said where the clerk reads them.
    assert "the citizen: scan the QR code or open the link with a wallet" in out
    assert "civicid wallet receive LINK --tx-code CODE" in out
    assert env.issuer.offers.by_id  # made through the staff API


def test_offer_without_a_key(env: Env, served: str) -> None:
    code, _, err = civicid(
        "issuer",
        "offer",
        "--data-dir",
        str(env.data_dir),
        "--record",
        "R",
        "--claims",
        str(TYPES / "national-id.claims.json"),
        "--url",
        served,
    )
    assert code == 1 and "[staff_key_missing]" in err


def test_offer_with_a_scope_the_clerk_lacks_and_bad_claims(
    env: Env, served: str, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"given_name": "Ada"}))
    code, _, err = civicid(
        "issuer",
        "offer",
        "--data-dir",
        str(env.data_dir),
        "--record",
        "R",
        "--claims",
        str(bad),
        "--url",
        served,
        "--api-key",
        env.keys["alice"],
    )
    assert code == 1 and "[issuer_claims_invalid]" in err
    code, _, err = civicid(
        "issuer",
        "revoke",
        "nope",
        "--yes",
        "--data-dir",
        str(env.data_dir),
        "--url",
        served,
        "--api-key",
        env.keys["bob"],
    )
    assert code == 1 and "[staff_scope_missing]" in err


def test_offer_claims_file_read_within_a_bound(env: Env, tmp_path: Path) -> None:
    """A claims file that is a named pipe, a device or too large is one line at once, before
    the issuer is called: never a read waiting for a writer, or filling memory."""

    def offer(path: Path) -> tuple[int, str, str]:
        return civicid(
            "issuer",
            "offer",
            "--data-dir",
            str(env.data_dir),
            "--record",
            "R",
            "--claims",
            str(path),
            "--url",
            "http://127.0.0.1:9",  # nothing is sent: the file is refused first
            "--api-key",
            env.keys["alice"],
        )

    pipe = tmp_path / "claims.pipe"
    os.mkfifo(pipe)
    answers: list[tuple[int, str, str]] = []
    reader = threading.Thread(target=lambda: answers.append(offer(pipe)), daemon=True)
    reader.start()
    reader.join(timeout=10)
    if reader.is_alive():  # release a reader left waiting for a writer
        os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(timeout=10)
        pytest.fail("offer waited on a named pipe for a writer")
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"given_name": "A" * MAX_CLAIMS_FILE_BYTES}))
    answers += [offer(big), offer(Path("/dev/zero")), offer(tmp_path / "missing.json")]
    told = (
        "is not a regular file (a named pipe)",
        "more than the issuer takes",
        "is not a regular file (a device)",
        "cannot read",
    )
    for (code, _, err), words in zip(answers, told, strict=True):
        assert code == 1 and "[issuer_claims_file_invalid]" in err and words in err, err


def test_offers_from_csv(env: Env, served: str, tmp_path: Path) -> None:
    rows = [
        [
            "record",
            "given_name",
            "family_name",
            "birthdate",
            "address.locality",
            "address.country",
            "nationalities",
            "resident",
            "age_equal_or_over",
        ],
        [
            "R-1",
            "Ada",
            "Lovelace",
            "1990-12-10",
            "Lyon",
            "FR",
            '["FR"]',
            "true",
            '{"18": true, "65": false}',
        ],
        [
            "R-2",
            "Alan",
            "Turing",
            "not a date",
            "Paris",
            "FR",
            '["GB"]',
            "false",
            '{"18": true, "65": false}',
        ],
        [
            "R-3",
            "Grace",
            "Hopper",
            "1950-01-01",
            "Nice",
            "FR",
            '["US"]',
            "true",
            '{"18": true, "65": true}',
        ],
    ]
    source, out = tmp_path / "records.csv", tmp_path / "offers.csv"
    codes = tmp_path / "codes.csv"
    with source.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    code, stdout, err = civicid(
        "issuer",
        "offers",
        "--data-dir",
        str(env.data_dir),
        "--csv",
        str(source),
        "--out",
        str(out),
        "--codes",
        str(codes),
        "--url",
        served,
        "--api-key",
        env.keys["alice"],
    )
    assert code == 1  # one row failed
    assert "line 3 (R-2):" in err and "[issuer_claims_invalid]" in err
    assert "2 offers made, 1 rows failed" in stdout
    with out.open(newline="") as handle:
        made = list(csv.DictReader(handle))
    assert [m["record"] for m in made] == ["R-1", "R-3"]
    assert all(set(m) == {"record", "offer", "link"} for m in made)
    with codes.open(newline="") as handle:
        handed = list(csv.DictReader(handle))
    assert [(c["record"], c["offer"]) for c in handed] == [(m["record"], m["offer"]) for m in made]
    assert all(c["txCode"].isdigit() for c in handed)


def test_revoke_and_publish(env: Env, served: str) -> None:
    from tests.issuer.test_status import issue, on_ledger

    issued = issue(env)
    args = ["--data-dir", str(env.data_dir), "--url", served, "--api-key", env.keys["alice"]]
    code, out, err = civicid("issuer", "revoke", issued.id, "--yes", *args)
    assert code == 0, err
    assert "is now revoked" in out
    code, out, err = civicid("issuer", "publish", *args, "--json")
    assert code == 0, err
    assert [p["number"] for p in json.loads(out)["published"]] == [1]
    from civicid.status_list import STATUS_INVALID

    assert on_ledger(env, issued) == {STATUS_INVALID}
    code, _, err = civicid("issuer", "suspend", issued.id, "--yes", *args)
    assert code == 1 and "[credential_status_conflict]" in err


@pytest.mark.parametrize("to_file", [True, False])
def test_offers_row_with_extra_cells(env: Env, served: str, tmp_path: Path, to_file: bool) -> None:
    """A row longer than its header fails alone; every offer made before and after it is
    listed (to --out, else stdout) with its link, and its tx code in the codes file."""
    header = ["record", "given_name", "family_name", "birthdate", "address.locality"]
    header += ["address.country", "nationalities", "resident", "age_equal_or_over"]
    good = ["Ada", "Lovelace", "1990-12-10", "Lyon", "FR", '["FR"]', "true"]
    good += ['{"18": true, "65": false}']
    rows = [header, ["R-1", *good], ["R-2", *good, "stray", "cells"], ["R-3", *good]]
    source, out = tmp_path / "records.csv", tmp_path / "offers.csv"
    codes = tmp_path / "codes.csv"
    with source.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    args = ["--data-dir", str(env.data_dir), "--csv", str(source), "--url", served]
    args += ["--api-key", env.keys["alice"], *(["--out", str(out)] if to_file else [])]
    args += ["--codes", str(codes)]
    code, stdout, err = civicid("issuer", "offers", *args)
    assert code == 1
    assert "line 3 (R-2):" in err and "[issuer_csv_invalid]" in err
    assert "Traceback" not in err
    assert "2 offers made, 1 rows failed" in stdout
    listing = out.read_text() if to_file else stdout.split("\n2 offers made")[0]
    made = list(csv.DictReader(listing.splitlines()))
    assert [m["record"] for m in made] == ["R-1", "R-3"]
    assert all(m["link"] and "txCode" not in m for m in made)
    assert {m["offer"] for m in made} == set(env.issuer.offers.by_id)
    handed = list(csv.DictReader(codes.read_text().splitlines()))
    assert [c["record"] for c in handed] == ["R-1", "R-3"]
    assert all(c["txCode"].isdigit() for c in handed)

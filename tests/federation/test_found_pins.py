"""A pin file damaged or edited by hand is refused in one line with its code, never a
traceback; and what a pin shows (its types, its policy's origin) cannot act on a terminal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicid.checkpoint import NoteSigner
from civicid.errors import Error
from civicid.trust.pins import PINS_FILE, Pins
from cli.main import app
from tests.federation.test_pins import made, vkeys

__all__ = ["vkeys"]  # the fixture, used here too

GOVERNANCE = "did:civicid:" + "a" * 32


@pytest.fixture
def vkey() -> str:
    return NoteSigner.generate("example.org/ledger").vkey()


@pytest.mark.parametrize(
    "edit",
    [
        lambda entry: {**entry, "max_age": 1e400},  # a number past any integer
        lambda entry: {**entry, "types": "national_id"},  # a string, not a list of types
        lambda entry: {**entry, "issuers": GOVERNANCE},
        lambda entry: {**entry, "name": 5},  # a name that is no string: no file named
        lambda entry: entry["name"],  # a name alone, not a pinned ledger
        # Every field is written: one missing is an edit, not a default.
        *(
            lambda entry, field=field: {k: v for k, v in entry.items() if k != field}
            for field in ("name", "urls", "governance", "types", "issuers", "max_age")
        ),
    ],
)
def test_an_edited_pin_is_refused(vkey: str, tmp_path: Path, edit: object) -> None:
    pins = Pins(tmp_path)
    pins.add(made(vkey))
    data = json.loads(pins.index.read_text())
    data["ledgers"] = [edit(entry) for entry in data["ledgers"]]  # type: ignore[operator]
    pins.index.write_text(json.dumps(data))
    with pytest.raises(Error) as refused:
        pins.load()
    assert refused.value.code == "federation_invalid"


def test_a_deeply_nested_pin_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / PINS_FILE).write_text("[" * 100_000)
    with pytest.raises(Error) as refused:
        Pins(tmp_path).load()
    assert refused.value.code == "federation_invalid"


def test_federate_list_shows_a_hostile_pin_inert(tmp_path: Path) -> None:
    origin = "example.org/\u202eledger"  # a right-to-left override in the foreign log's name
    policy = tmp_path / "abroad.policy"
    policy.write_text(f"log {NoteSigner.generate(origin).vkey()}\nquorum none\n")
    runner = CliRunner()
    hostile = "id\x1b]0;owned\x07\x1b[2J"
    common = ["--data-dir", str(tmp_path / "desk")]
    added = runner.invoke(
        app,
        ["verifier", "federate", "add", "abroad", *common, "--policy", str(policy),
         "--governance", GOVERNANCE, "--url", "http://127.0.0.1:9", "--offline",
         "--type", hostile],
    )  # fmt: skip
    listed = runner.invoke(app, ["verifier", "federate", "list", *common])
    for result in (added, listed):
        assert result.exit_code == 0, result.stderr
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout
        assert "\u202e" not in result.stdout
        assert "\\x1b]0;owned\\x07" in result.stdout and "\\u202e" in result.stdout


def test_a_pin_replaced_on_a_failing_disk_stays_as_it_was(
    vkeys: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pins = Pins(tmp_path)
    first = made(vkeys[0])
    pins.add(first)

    def disk_full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Pins, "_save", disk_full)
    with pytest.raises(OSError):
        pins.add(made(vkeys[1]))  # the same name, another ledger's key: not written whole
    with pytest.raises(OSError):
        pins.add(made(vkeys[1], name="other"))
    monkeypatch.undo()
    assert pins.load() == (first,)  # its policy is still the pinned key's, not the new one's
    assert not (tmp_path / "other.policy").exists()

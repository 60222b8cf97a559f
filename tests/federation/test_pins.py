"""A pinned ledger is validated when it is pinned and when it is loaded: a bad one is refused
with its code and leaves the pins as they were."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.checkpoint import NoteSigner
from civicid.cosignature import CosignerKey
from civicid.errors import Error
from civicid.trust import pins as pins_module
from civicid.trust.pins import (
    MAX_FOREIGN_LEDGERS,
    MAX_TYPE_CHARS,
    PinnedLedger,
    Pins,
    check_unique,
)
from ledger.setup import initialize
from tests.verifier.world import NATIONAL_ID, Clock

GOVERNANCE = "did:civicid:" + "a" * 32


@pytest.fixture(scope="module")
def vkeys(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    root = tmp_path_factory.mktemp("ledgers")
    return [initialize(root / str(i), clock=Clock()).vkey for i in range(2)]


def made(vkey: str, **changes: object) -> PinnedLedger:
    fields: dict[str, object] = {
        "name": "abroad",
        "urls": "http://127.0.0.1:9",
        "policy_text": f"log {vkey}\nquorum none\n",
        "governance": GOVERNANCE,
        "types": (NATIONAL_ID,),
    }
    fields.update(changes)
    return PinnedLedger(**fields)  # type: ignore[arg-type]


def refused(code: str, make: object) -> Error:
    with pytest.raises(Error) as info:
        make()  # type: ignore[operator]
    assert info.value.code == code, info.value
    return info.value


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"name": "Abroad/../x"}, None),
        ({"name": ""}, None),
        ({"urls": "ftp://ledger.example"}, "ledger_url_invalid"),
        ({"governance": "did:web:example.org"}, "did_invalid"),
        ({"issuers": ("not-a-did",)}, "did_invalid"),
        ({"policy_text": "quorum none\n"}, None),  # no log: no checkpoint key pinned
        ({"policy_text": "log nonsense\nquorum none\n"}, "vkey_malformed"),
        ({"types": ("",)}, None),
        ({"max_age": 0}, None),
        ({"max_age": 30 * 86400 + 1}, None),
    ],
)
def test_a_bad_pin_is_refused(vkeys: list[str], changes: dict[str, object],
                              reason: str | None) -> None:  # fmt: skip
    error = refused("federation_invalid", lambda: made(vkeys[0], **changes))
    if reason is not None:
        assert error.details.get("reason") == reason, error


def test_two_logs_in_one_policy_are_refused(vkeys: list[str]) -> None:
    text = f"log {vkeys[0]}\nlog {vkeys[1]}\nquorum none\n"
    refused("federation_invalid", lambda: made(vkeys[0], policy_text=text))


def test_a_witness_named_twice_is_refused(vkeys: list[str]) -> None:
    witness = CosignerKey.generate("w.example")
    text = f"log {vkeys[0]}\nwitness a {witness.vkey()}\nwitness a {witness.vkey()}\nquorum a\n"
    error = refused("federation_invalid", lambda: made(vkeys[0], policy_text=text))
    assert error.details.get("reason") == "policy_name_duplicate"


def test_pins_round_trip_and_a_bad_one_changes_nothing(vkeys: list[str], tmp_path: Path) -> None:
    pins = Pins(tmp_path / "federation")
    assert pins.load() == ()
    first = made(vkeys[0])
    pins.add(first)
    assert pins.load() == (first,)
    index = pins.index.read_bytes()
    refused("federation_invalid", lambda: pins.add(made(vkeys[0], name="again")))  # same key
    assert pins.index.read_bytes() == index
    assert not (tmp_path / "federation" / "again.policy").exists()
    second = made(vkeys[1], name="other", issuers=(GOVERNANCE,))
    pins.add(second)
    assert pins.load() == (first, second)
    pins.remove("abroad")
    assert pins.load() == (second,)
    assert not (tmp_path / "federation" / "abroad.policy").exists()
    refused("federation_unknown", lambda: pins.remove("abroad"))


def test_a_tampered_policy_file_is_refused_on_load(vkeys: list[str], tmp_path: Path) -> None:
    pins = Pins(tmp_path)
    pins.add(made(vkeys[0]))
    (tmp_path / "abroad.policy").write_text("quorum nobody\n")
    refused("federation_invalid", pins.load)
    pins.index.write_text("{not json")
    refused("federation_invalid", pins.load)


def test_as_many_ledgers_as_allowed_and_one_more() -> None:
    keys = [NoteSigner.generate(f"l{i}.example").vkey() for i in range(MAX_FOREIGN_LEDGERS + 1)]
    pins = [made(vkey, name=f"l{i}") for i, vkey in enumerate(keys)]
    check_unique(pins[:MAX_FOREIGN_LEDGERS])
    refused("federation_invalid", lambda: check_unique(pins))


def test_a_name_or_a_key_pinned_twice_is_refused(vkeys: list[str]) -> None:
    check_unique([made(vkeys[0]), made(vkeys[1], name="other")])
    refused("federation_invalid", lambda: check_unique([made(vkeys[0]), made(vkeys[1])]))
    refused("federation_invalid",
            lambda: check_unique([made(vkeys[0]), made(vkeys[0], name="other")]))  # fmt: skip


# -- the files stay one consistent whole ------------------------------------------------------


def test_a_type_of_the_bound_is_pinned_and_one_longer_refused(vkeys: list[str]) -> None:
    vct = "https://types.example/" + "t" * (MAX_TYPE_CHARS - len("https://types.example/"))
    assert made(vkeys[0], types=(vct,)).types == (vct,)
    error = refused("federation_invalid", lambda: made(vkeys[0], types=(vct + "t",)))
    assert f"at most {MAX_TYPE_CHARS} characters" in error.message


def test_an_index_of_exactly_its_bound_is_written(
    vkeys: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pins = Pins(tmp_path)
    pins.add(made(vkeys[0]))
    pins.add(made(vkeys[1], name="other"))
    both = pins.index.read_bytes()
    pins.remove("other")
    monkeypatch.setattr(pins_module, "MAX_PINS_BYTES", len(both))
    pins.add(made(vkeys[1], name="other"))  # the index written is exactly the bound
    assert pins.index.read_bytes() == both and len(pins.load()) == 2


def test_an_index_past_its_bound_is_never_written(
    vkeys: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pins = Pins(tmp_path)
    pins.add(made(vkeys[0]))
    index = pins.index.read_bytes()
    monkeypatch.setattr(pins_module, "MAX_PINS_BYTES", len(index) + 10)
    error = refused("federation_invalid", lambda: pins.add(made(vkeys[1], name="other")))
    assert "would exceed" in error.message
    assert pins.index.read_bytes() == index and not (tmp_path / "other.policy").exists()
    assert [p.name for p in pins.load()] == ["abroad"]


def test_a_policy_file_not_pinned_with_its_entry_is_refused(
    vkeys: list[str], tmp_path: Path
) -> None:
    """A replace cut short between its two writes (the new policy, the old index) would
    pair the new checkpoint key with the old pin's URLs and types."""
    pins = Pins(tmp_path)
    pins.add(made(vkeys[0]))
    (tmp_path / "abroad.policy").write_text(f"log {vkeys[1]}\nquorum none\n")
    with pytest.raises(Error) as caught:
        pins.load()
    assert caught.value.code == "federation_invalid"
    assert "not the one pinned with it" in caught.value.message
    pins.add(made(vkeys[1]))  # pinned again: whole again
    assert pins.load()[0].vkey == vkeys[1]


def test_a_federation_directory_that_is_a_file_is_refused(tmp_path: Path) -> None:
    where = tmp_path / "federation"
    where.write_text("not a directory")
    with pytest.raises(Error) as caught:
        Pins(where).load()
    assert caught.value.code == "federation_invalid" and "not a directory" in caught.value.message


def test_a_broken_pin_is_replaced_or_removed_without_reading_it(
    vkeys: list[str], tmp_path: Path
) -> None:
    """The way out of a refused pin is the command line, not a text editor."""
    pins = Pins(tmp_path)
    pins.add(made(vkeys[0]))
    pins.add(made(vkeys[1], name="other"))
    (tmp_path / "abroad.policy").write_text("damaged\n")
    refused("federation_invalid", pins.load)
    pins.remove("abroad")
    assert [p.name for p in pins.load()] == ["other"]
    pins.add(made(vkeys[0]))
    (tmp_path / "abroad.policy").unlink()  # gone altogether
    refused("federation_invalid", pins.load)
    pins.remove("abroad")
    assert [p.name for p in pins.load()] == ["other"]
    refused("federation_unknown", lambda: pins.remove("abroad"))


def test_an_index_that_is_a_link_leading_nowhere_is_refused_not_read_as_no_pin(
    vkeys: list[str], tmp_path: Path
) -> None:
    # Read as no pin, the next pin added wrote a new index over the link, every pin before
    # it dropped without a word.
    pins = Pins(tmp_path)
    pins.add(made(vkeys[0]))
    pins.index.rename(tmp_path / "kept-elsewhere.json")
    pins.index.symlink_to(tmp_path / "gone" / "ledgers.json")
    refused("federation_invalid", pins.load)
    refused("federation_invalid", lambda: pins.add(made(vkeys[1], name="other")))
    assert pins.index.is_symlink() and not (tmp_path / "other.policy").exists()

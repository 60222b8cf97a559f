"""``listed``: a directory's entries matching a pattern, as ``Path.glob`` matched them, but a
directory that cannot be listed (another user's, a file in its place) is the caller's code
naming it, never an empty list. Each caller's own code is tested beside it:
tests/civicid/test_keystore_directory_denied.py, tests/verifier/test_policy_directory_denied.py,
tests/witness/test_evidence_directory_denied.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.errors import Error
from civicid.files import listed
from civicid.jose import JWS_MALFORMED
from tests import odd_files

# A declared code standing for a caller's own.
UNREADABLE = JWS_MALFORMED


def test_the_entries_matching_the_pattern_sorted(tmp_path: Path) -> None:
    for name in ("b.json", "a.json", ".c.json", "a.json.tmp", ".a.json.tmp", "README"):
        (tmp_path / name).write_text("x")
    (tmp_path / "d.json").mkdir()  # an entry, whatever its kind: the caller reads and judges
    assert listed(tmp_path, "*.json", unreadable=UNREADABLE) == [
        tmp_path / n for n in (".c.json", "a.json", "b.json", "d.json")
    ]
    assert listed(tmp_path, ".*.tmp", unreadable=UNREADABLE) == [tmp_path / ".a.json.tmp"]
    assert listed(tmp_path, "*.JSON", unreadable=UNREADABLE) == []  # case matters


def test_a_directory_that_cannot_be_listed_is_the_callers_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.json").write_text("x")
    odd_files.deny_listing(monkeypatch, tmp_path)
    with pytest.raises(Error) as caught:
        listed(tmp_path, "*.json", unreadable=UNREADABLE, what="the store", missing_ok=True)
    assert caught.value.code == UNREADABLE.name
    assert caught.value.message == f"cannot read the store {tmp_path}: Permission denied"


def test_a_file_in_its_place_is_refused_even_when_missing_is_allowed(tmp_path: Path) -> None:
    (tmp_path / "store").write_text("not a directory")
    with pytest.raises(Error) as caught:
        listed(tmp_path / "store", "*", unreadable=UNREADABLE, missing_ok=True)
    assert caught.value.code == UNREADABLE.name
    assert caught.value.message == f"cannot read {tmp_path / 'store'}: Not a directory"


def test_a_missing_directory_is_none_only_when_allowed(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    assert listed(gone, "*", unreadable=UNREADABLE, missing_ok=True) == []
    with pytest.raises(Error) as caught:
        listed(gone, "*", unreadable=UNREADABLE)
    assert caught.value.code == UNREADABLE.name
    assert str(gone) in caught.value.message

"""A full disk as the issuer first makes its file of rule requests: the request was refused
(good), but the file SQLite had just created was left empty, so once space came back every
rule request was refused as damage (``rule_requests_damaged``) and the next ``civicid up``
would not start until someone moved it by hand. Now a file made by a failed first open is
removed, the refusal says what to do about the disk, and the next request makes it anew."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.errors import Error
from issuer import rule_requests
from issuer.errors import STORE_FAILED
from issuer.rule_requests import FILE, RuleRequests, check_kept

# SQLite's own "database or disk is full" (SQLITE_FULL): the file may grow by no page.
FULL = "PRAGMA max_page_count = 1;\n"


def test_a_failed_first_open_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rule_requests, "SCHEMA", FULL + rule_requests.SCHEMA)
    with pytest.raises(Error) as raised:
        RuleRequests(tmp_path)
    assert STORE_FAILED.matches(raised.value), raised.value
    assert "free space on that disk" in raised.value.message
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    monkeypatch.undo()
    check_kept(tmp_path)  # nothing to refuse at the next start
    opened = RuleRequests(tmp_path)  # space back: made anew
    opened.close()
    assert (tmp_path / FILE).stat().st_size > 0
    check_kept(tmp_path)


def test_a_file_that_was_there_is_left_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    RuleRequests(tmp_path).close()
    before = (tmp_path / FILE).read_bytes()
    monkeypatch.setattr(rule_requests, "SCHEMA", "SELECT nonsense(;")
    with pytest.raises(Error) as raised:
        RuleRequests(tmp_path)
    assert STORE_FAILED.matches(raised.value), raised.value
    assert (tmp_path / FILE).read_bytes() == before

"""``rewrite`` (what ``verifier init`` writes, again at each run) keeps every setting the desk
binds, among them how old a witnessed checkpoint and a request may be: a second ``init`` must
not loosen them back to the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.checkpoint_policy import DEFAULT_MAX_AGE
from verifier.settings import DEFAULT_REQUEST_TTL, VerifierSettings

CHOSEN = {"checkpoint_max_age": 1800, "request_ttl": 90}


@pytest.mark.parametrize("name", sorted(CHOSEN))
def test_rewrite_keeps_what_the_file_chose(tmp_path: Path, name: str) -> None:
    assert CHOSEN["checkpoint_max_age"] != DEFAULT_MAX_AGE
    assert CHOSEN["request_ttl"] != DEFAULT_REQUEST_TTL
    VerifierSettings.write(tmp_path, {"ledger_url": "http://127.0.0.1:8700", **CHOSEN})
    settings = VerifierSettings.load(tmp_path)
    assert getattr(settings, name) == CHOSEN[name]
    settings.rewrite()
    assert getattr(VerifierSettings.load(tmp_path), name) == CHOSEN[name]
    assert VerifierSettings.read_file(tmp_path)[name] == CHOSEN[name]


def test_rewrite_keeps_a_flag_given_at_init(tmp_path: Path) -> None:
    VerifierSettings.load(tmp_path, checkpoint_max_age=120).rewrite()
    assert VerifierSettings.load(tmp_path).checkpoint_max_age == 120


def test_rewrite_keeps_where_the_desk_listens(tmp_path: Path) -> None:
    """``up --verifier-port 9702`` binds public_url to that port: a later ``serve`` without
    flags must listen there, not on the default port its wallets were never told of."""
    VerifierSettings.load(tmp_path, host="127.0.0.2", port=9702).rewrite()
    again = VerifierSettings.load(tmp_path)
    assert (again.host, again.port) == ("127.0.0.2", 9702)
    assert again.base_url == "http://127.0.0.2:9702"

"""``civicid up`` on a data dir whose ``issuer.toml`` was emptied: refused
(``up_issuer_unconfigured``, naming the file and the way back), not an issuer served with no
credential configuration at all (every offer then refused, nothing saying why)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from civicid.checkpoint import NoteSigner
from civicid.errors import Error
from cli import stack
from cli.up import rule_issuer_settings


def test_an_emptied_issuer_settings_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "issuer.toml").write_bytes(b"")
    ledger = SimpleNamespace(vkey=NoteSigner.generate("example.org/ledger").vkey())
    with pytest.raises(Error) as caught:
        # Found set up (the file exists): nothing is asked of the ledger.
        stack.ensure_issuer(tmp_path, ledger, "http://127.0.0.1:9", 8701, None)  # type: ignore[arg-type]
    assert caught.value.code == "up_issuer_unconfigured"
    assert str(tmp_path / "issuer.toml") in caught.value.message
    assert (tmp_path / "issuer.toml").read_bytes() == b""


def test_the_rule_s_issuer_settings_emptied_are_refused(tmp_path: Path) -> None:
    """The transport authority's issuer (the one that issues by its rule) was served with
    its emptied file as is: every request by its rule refused, nothing saying why."""
    home = tmp_path / "transport"
    home.mkdir()
    (home / "issuer.toml").write_bytes(b"")
    flags = {
        "ledger_url": "http://127.0.0.1:9",
        "checkpoint_key": NoteSigner.generate("example.org/ledger").vkey(),
        "public_url": "http://127.0.0.1:8702",
        "port": 8702,
        "identity": "transport",
        "witness_policy": None,
    }
    with pytest.raises(Error) as caught:
        rule_issuer_settings(home, flags)
    assert caught.value.code == "up_issuer_unconfigured"
    assert str(home / "issuer.toml") in caught.value.message
    assert "transport authority" in caught.value.message
    assert (home / "issuer.toml").read_bytes() == b""

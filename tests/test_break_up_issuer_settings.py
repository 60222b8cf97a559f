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


def test_an_emptied_issuer_settings_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "issuer.toml").write_bytes(b"")
    ledger = SimpleNamespace(vkey=NoteSigner.generate("example.org/ledger").vkey())
    with pytest.raises(Error) as caught:
        # Found set up (the file exists): nothing is asked of the ledger.
        stack.ensure_issuer(tmp_path, ledger, "http://127.0.0.1:9", 8701, None)  # type: ignore[arg-type]
    assert caught.value.code == "up_issuer_unconfigured"
    assert str(tmp_path / "issuer.toml") in caught.value.message
    assert (tmp_path / "issuer.toml").read_bytes() == b""

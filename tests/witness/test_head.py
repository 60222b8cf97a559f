"""The witness answers HEAD wherever it answers GET (RFC 9110 §9.3.2): GET's status and
header fields, no body (the shell's app)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from cli.harness import serving
from ledger.witness.app import create_app
from ledger.witness.settings import WitnessSettings
from tests.witness.logs import open_test_witness

pytestmark = pytest.mark.xdist_group("loopback")


def test_head_is_get_without_its_body(tmp_path: Path) -> None:
    witness = open_test_witness(tmp_path)
    settings = WitnessSettings(data_dir=tmp_path, port=0)
    try:
        with serving(create_app(settings, witness=witness), 0, settings=settings) as url:
            for path in ("/health", "/status", "/evidence", "/evidence/no-such"):
                got, head = httpx.get(url + path), httpx.head(url + path)
                assert head.status_code == got.status_code, path
                assert head.headers["content-length"] == got.headers["content-length"], path
                assert got.content and head.content == b"", path
            posted = httpx.head(f"{url}/add-checkpoint")
            assert posted.status_code == 405 and posted.headers["allow"] == "POST"
    finally:
        witness.close()

"""``civicid up`` on a data dir whose desk store (``verifier/verifier.db``) was lost: refused
(``up_desk_store_missing``), not a new empty store made in its place without a word (the
desk's decisions and receipts gone); a desk that never ran (no trust file yet) makes its
store as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.errors import Error
from cli import stack


def test_a_lost_desk_store_is_refused(tmp_path: Path) -> None:
    store, trust_file = tmp_path / "verifier.db", tmp_path / "checkpoint"
    trust_file.write_text("a checkpoint the desk accepted\n")
    with pytest.raises(Error) as caught:
        stack.check_desk_store(store, trust_file)
    assert caught.value.code == "up_desk_store_missing"
    assert str(store) in caught.value.message and f"remove {trust_file}" in caught.value.message
    assert not store.exists()


def test_a_kept_store_is_opened(tmp_path: Path) -> None:
    store, trust_file = tmp_path / "verifier.db", tmp_path / "checkpoint"
    trust_file.write_text("a checkpoint the desk accepted\n")
    store.write_bytes(b"")
    stack.check_desk_store(store, trust_file)

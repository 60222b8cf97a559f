"""The desk's store: "use once" holds across processes sharing the file; a decision, its
receipt and its audit record commit together; nothing of a claim's value is kept."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from civicid.errors import Error
from verifier.store import PendingRequest, Store

NOW = 1_780_000_000


def spend_in_another_process(path: Path, nonce: str) -> str:
    code = (
        "import sys\n"
        "from verifier.store import Store\n"
        "from civicid.errors import Error\n"
        "store = Store(__import__('pathlib').Path(sys.argv[1]))\n"
        "try:\n"
        "    store.use_nonce(sys.argv[2], 1)\n"
        "    print('spent')\n"
        "except Error as exc:\n"
        "    print(exc.code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(path), nonce], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_a_nonce_is_spent_once_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "verifier.db"
    store = Store(path)
    assert spend_in_another_process(path, "n" * 24) == "spent"
    with pytest.raises(Error) as caught:
        store.use_nonce("n" * 24, NOW)
    assert caught.value.code == "presentation_replayed"
    store.use_nonce("m" * 24, NOW)
    assert spend_in_another_process(path, "m" * 24) == "presentation_replayed"


def request(state: str = "s" * 24) -> PendingRequest:
    return PendingRequest(
        "id1", state, "t" * 24, "n" * 24, "housing-benefit", "a.b.c", NOW, NOW + 300
    )


def test_request_object_once_and_answer_once(tmp_path: Path) -> None:
    store = Store(tmp_path / "verifier.db")
    store.add_request(request())
    other = Store(tmp_path / "verifier.db")  # another desk process
    assert other.fetch_request_object("id1", NOW + 1) == "a.b.c"
    with pytest.raises(Error) as caught:
        store.fetch_request_object("id1", NOW + 2)
    assert caught.value.code == "request_already_fetched"
    store.claim_answer("s" * 24, NOW + 3)
    with pytest.raises(Error) as caught:
        other.claim_answer("s" * 24, NOW + 4)
    assert caught.value.code == "request_already_answered"
    store.save_decision("s" * 24, {"eligible": True}, "r.e.c", {"decision": "eligible"})
    assert other.by_transaction("t" * 24).decision == {"eligible": True}
    assert other.audit_trail() == [{"decision": "eligible"}]


def test_expired_and_purged(tmp_path: Path) -> None:
    store = Store(tmp_path / "verifier.db")
    store.add_request(request())
    with pytest.raises(Error) as caught:
        store.claim_answer("s" * 24, NOW + 300)
    assert caught.value.code == "request_expired"
    assert store.by_state("s" * 24).status(NOW + 300) == "expired"
    assert store.purge(NOW + 300 + 25 * 3600) == 1
    with pytest.raises(Error) as caught:
        store.by_state("s" * 24)
    assert caught.value.code == "request_unknown"


def test_a_store_of_another_version_is_refused(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "verifier.db"
    Store(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'version'")
    with pytest.raises(Error) as caught:
        Store(path)
    assert caught.value.code == "verifier_store_failed"


def test_the_store_is_private_whatever_the_umask(tmp_path: Path) -> None:
    """Requests and decisions are nobody else's: the folder 0700, the file 0600."""
    home = tmp_path / "verifier"
    old = os.umask(0o022)
    try:
        Store(home / "verifier.db").close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "verifier.db").stat().st_mode) == 0o600


def test_a_store_found_open_to_others_is_made_private(tmp_path: Path) -> None:
    """As an earlier ``civicid up`` left it: 0755 and 0644."""
    home = tmp_path / "verifier"
    Store(home / "verifier.db").close()
    home.chmod(0o755)
    (home / "verifier.db").chmod(0o644)
    Store(home / "verifier.db").close()
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "verifier.db").stat().st_mode) == 0o600

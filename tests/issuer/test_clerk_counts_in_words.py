"""What a clerk reads counts things in words: "1 list published", "0 lists published",
"1 credential, newest first", "1 copy" (not "1 list(s)", "cop(ies)"); a wallet's wrong
transaction code says "1 attempt left" or "4 attempts left"."""

from __future__ import annotations

from issuer.staff_cli import counted
from tests.issuer.conftest import Env
from tests.issuer.test_cli import (
    civicid,
    served,  # noqa: F401  (the fixture)
)
from tests.issuer.test_status import issue


def test_counted_says_one_and_many() -> None:
    assert counted(0, "list", "lists") == "0 lists"
    assert counted(1, "copy", "copies") == "1 copy"
    assert counted(4, "copy", "copies") == "4 copies"


def test_publish_and_credentials_count_in_words(env: Env, served: str) -> None:  # noqa: F811
    issued = issue(env)
    args = ["--data-dir", str(env.data_dir), "--url", served, "--api-key", env.keys["alice"]]
    code, _, err = civicid("issuer", "revoke", issued.id, "--yes", *args)
    assert code == 0, err
    code, out, err = civicid("issuer", "publish", *args)
    assert code == 0, err
    assert out.splitlines()[0] == "1 list published"
    code, out, err = civicid("issuer", "publish", *args)
    assert code == 0 and out.splitlines()[0] == "0 lists published", err
    code, out, err = civicid("issuer", "credentials", *args)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "1 credential, newest first"
    assert "(s)" not in out and "(ies)" not in out

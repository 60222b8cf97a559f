"""A ledger URL holding a control or format character or a space (pasted from a terminal, or
planted in a settings file) is refused as ``ledger_url_invalid`` when it is read, in one line,
not as the HTTP library's InvalidURL traceback at the first request."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.errors import Error
from civicid.ledger_client import LEDGER_URL_INVALID, ledger_urls
from tests.ledger.test_cli import civicid

KEY = "civicid.example/ledger+b26d2d5b+AUOA0ksYg+tyKweMbl6EX1QsiLvAusCHx4e87mm5BJbZ"


@pytest.mark.parametrize(
    "text",
    [
        "http://127.0.0.1:8700/\x1b[31m",
        "http://127.0.0.1:8700/a\x7fb",
        "http://127.0.0.1:8700/\u202etxt",
        "http://127.0.0.1:8700/a b",
        "http://127.0.0.1:8700, http://127.0.0.1:8710/\x00",
    ],
    ids=["escape", "delete", "bidi-override", "space", "nul-in-second"],
)
def test_an_unprintable_url_is_refused(text: str) -> None:
    with pytest.raises(Error) as refused:
        ledger_urls(text)
    assert LEDGER_URL_INVALID.matches(refused.value)


def test_the_mirror_command_says_so_in_one_line(tmp_path: Path) -> None:
    url = "http://127.0.0.1:1/\x1b[31m"
    args = ["--data-dir", str(tmp_path), "--ledger-key", KEY, "--once"]
    code, _, err = civicid("ledger", "mirror", url, *args)
    assert code == LEDGER_URL_INVALID.exit_code
    assert err.startswith("error: ") and err.rstrip().endswith("[ledger_url_invalid]"), err
    assert len(err.strip().splitlines()) == 1 and "\x1b" not in err
    assert not (tmp_path / "mirror").exists()


def test_an_international_host_is_still_a_url() -> None:
    assert ledger_urls("http://grand-bureau.exämple:8700") == ["http://grand-bureau.exämple:8700"]

"""``ledger_urls`` at its edges: up to ``MAX_LEDGER_URLS`` URLs and not one more, http and
https with a host and no query, a trailing slash and spaces around each dropped."""

from __future__ import annotations

import pytest

from civicid.errors import Error
from civicid.ledger_client import MAX_LEDGER_URLS, ledger_urls


def test_as_many_urls_as_the_bound_and_not_one_more() -> None:
    urls = [f"http://mirror{i}.test:87{i:02}" for i in range(MAX_LEDGER_URLS + 1)]
    assert MAX_LEDGER_URLS == 16
    assert ledger_urls(",".join(urls[:MAX_LEDGER_URLS])) == urls[:MAX_LEDGER_URLS]
    with pytest.raises(Error) as exc:
        ledger_urls(",".join(urls))
    assert exc.value.code == "ledger_url_invalid" and "1 to 16" in exc.value.message


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        ("https://ledger.test", ["https://ledger.test"]),
        ("http://ledger.test/base/", ["http://ledger.test/base"]),
        ("http://ledger.test//", ["http://ledger.test"]),
        ("http://ledger.test/X/", ["http://ledger.test/X"]),  # only slashes are dropped
        ("  http://ledger.test/  ", ["http://ledger.test"]),
        ("http://a.test,http://a.test", ["http://a.test", "http://a.test"]),
        ("http://127.0.0.1:8700#part", ["http://127.0.0.1:8700#part"]),
        ("HTTP://a.test", ["HTTP://a.test"]),  # a scheme's case does not matter
    ],
)
def test_urls_as_given(text: str, urls: list[str]) -> None:
    assert ledger_urls(text) == urls


@pytest.mark.parametrize(
    "text",
    ["", ",", "http://", "http:///path", "ledger.test", "file:///etc/passwd",
     "https://a.test/?q", "ws://a.test", "http://a.test,,http://b.test", "http://a.test/a b",
     "http://a.test/\x07", "http://a.test/\u00a0b", "http://a.test:99999", "http://a.test:-1",
     "http://a.test:0", "http://a.test:http", "http://user:pw@a.test", "http://user@a.test",
     "http://:pw@a.test"],
)  # fmt: skip
def test_what_is_no_ledger_url(text: str) -> None:
    with pytest.raises(Error) as exc:
        ledger_urls(text)
    assert exc.value.code == "ledger_url_invalid"


@pytest.mark.parametrize(
    ("text", "says"),
    [("http://a.test:99999", "port from 1 to 65535"), ("http://user:pw@a.test", "password")],
)
def test_a_url_no_request_could_use_is_refused_before_any_is_sent(text: str, says: str) -> None:
    with pytest.raises(Error) as exc:
        ledger_urls(text)
    assert exc.value.code == "ledger_url_invalid"
    assert says in exc.value.message

"""Status list URIs: RFC 3986 normal form, and the base URLs a DID document names."""

from __future__ import annotations

import pytest

from civicid.errors import Error
from civicid.status_uri import (
    base_urls,
    check_bound,
    check_status_uri,
    normalize_uri,
    remove_dot_segments,
    status_service,
)


@pytest.mark.parametrize(
    "uri, normal",
    [
        ("https://health.example/status/1", "https://health.example/status/1"),
        ("HTTPS://HEALTH.Example/status/1", "https://health.example/status/1"),  # §6.2.2.1
        ("https://health.example:443/status/1", "https://health.example/status/1"),  # §6.2.3
        ("https://health.example:8443/status/1", "https://health.example:8443/status/1"),
        ("https://health.example/a/./b/../status/1", "https://health.example/a/status/1"),
        ("https://health.example", "https://health.example/"),  # empty path is "/"
        ("https://health.example/%7euser/%2f", "https://health.example/~user/%2F"),  # §6.2.2.2
        ("https://health.example/s?list=1", "https://health.example/s?list=1"),
        ("http://127.0.0.1:8701/status/1", "http://127.0.0.1:8701/status/1"),
        ("http://LOCALHOST:80/status/1", "http://localhost/status/1"),
        ("https://[::1]:8443/x", "https://[::1]:8443/x"),
    ],
)
def test_normal_forms(uri: str, normal: str) -> None:
    assert normalize_uri(uri) == normal
    assert normalize_uri(normal) == normal  # idempotent


@pytest.mark.parametrize(
    "uri",
    [
        "",
        "x" * 300,
        "ftp://health.example/s",
        "http://health.example/s",  # plain http off loopback
        "https://user@health.example/s",
        "https://health.example/s#fragment",
        "https://health_example/s",
        "https://héalth.example/s",
        "https://health.example:99999/s",
        "https:///s",
        "https://health.example/s pace",
    ],
)
def test_not_a_status_list_uri(uri: str) -> None:
    with pytest.raises(Error) as info:
        normalize_uri(uri)
    assert info.value.code == "status_list_uri_invalid"


def test_only_the_normal_spelling_is_accepted() -> None:
    assert check_status_uri("https://health.example/status/1") == "https://health.example/status/1"
    with pytest.raises(Error) as info:
        check_status_uri("HTTPS://health.example/status/1")
    assert info.value.code == "status_list_uri_not_normal"
    assert "https://health.example/status/1" in info.value.message


def test_rfc3986_remove_dot_segments_examples() -> None:
    # RFC 3986 §5.2.4's own examples.
    assert remove_dot_segments("/a/b/c/./../../g") == "/a/g"
    assert remove_dot_segments("mid/content=5/../6") == "mid/6"


def test_bases_and_binding() -> None:
    document = {
        "service": [
            status_service("https://Health.example"),
            status_service("https://health.example/issuer/", "second"),
            {"id": "#other", "type": "X", "serviceEndpoint": {"not": "a string"}},
            {"id": "#plain", "type": "X", "serviceEndpoint": "http://insecure.example"},
        ]
    }
    bases = base_urls(document)
    assert bases == ("https://health.example/", "https://health.example/issuer/")
    check_bound("https://health.example/status/1", bases)
    for outside in ("https://health.example.evil/status/1", "https://other.example/status/1"):
        with pytest.raises(Error) as info:
            check_bound(outside, bases)
        assert info.value.code == "status_list_uri_unbound"
    narrow = base_urls({"service": [status_service("https://health.example/issuer")]})
    with pytest.raises(Error) as info:  # a prefix of a path segment is not "under" it
        check_bound("https://health.example/issuer2/status/1", narrow)
    assert info.value.code == "status_list_uri_unbound"
    assert base_urls({}) == ()

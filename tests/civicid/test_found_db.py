"""A database URL the driver cannot read is refused without showing its password: the
driver's message quotes the whole URL."""

from __future__ import annotations

import pytest

from civicid.db import DATABASE_URL_INVALID, parse_url
from civicid.errors import Error

SECRET = "S3cr3t-pw"


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://clerk:{SECRET}@[::1/db",  # an IPv6 host left open
        f"postgresql://clerk:{SECRET}%zz@db.example/db",  # a bad escape in the password
        f"postgresql://clerk@[::1/db?password={SECRET}",
        f"postgres://clerk:{SECRET.replace('-', '%2D')}@[::1/db",  # percent-encoded
    ],
    ids=["ipv6-open", "bad-escape", "password-parameter", "percent-encoded"],
)
def test_an_unreadable_url_is_refused_without_its_password(url: str) -> None:
    with pytest.raises(Error) as refused:
        parse_url(url)
    assert DATABASE_URL_INVALID.matches(refused.value)
    message = refused.value.message
    assert SECRET not in message and SECRET.replace("-", "%2D") not in message, message

"""``civicid up`` again on a data dir with another issuer port than its first run: the agency's
DID (its first document, registered then) names the issuer's address for good, and wallets take
offers from there only, so an issuer served elsewhere would have every offer refused
(``wallet_issuer_unbound``) and ``civicid issuer offer`` would ask the first port. Refused
(``up_issuer_port_changed``) naming the port to use; the other ports may change."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.errors import Error
from cli import stack
from cli.harness import free_port


def test_another_issuer_port_is_refused_naming_the_first(tmp_path: Path) -> None:
    root = tmp_path / "civicid"
    issuer = free_port()
    with stack.running(root, stack.Ports(free_port(), issuer, free_port())) as first:
        assert first.issuer_url == f"http://127.0.0.1:{issuer}"
    moved = free_port()
    with (
        pytest.raises(Error) as caught,
        stack.running(root, stack.Ports(free_port(), moved, free_port())),
    ):
        pass
    assert caught.value.code == "up_issuer_port_changed"
    assert caught.value.message.startswith(
        f"the agency's DID names http://127.0.0.1:{issuer}/ for its issuer"
    )
    assert f"not http://127.0.0.1:{moved}: run up with --issuer-port {issuer}" in (
        caught.value.message
    )
    assert (root / "issuer.toml").read_text().count(f"port = {issuer}") == 1
    # The ledger's and the desk's ports are free to change.
    with stack.running(root, stack.Ports(free_port(), issuer, free_port())) as again:
        assert again.agency.did == first.agency.did
        assert again.issuer_url == first.issuer_url

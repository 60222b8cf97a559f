"""A damaged file of rule requests is refused when the issuer starts, by `issuer serve` before
its port is opened and by the app's start-up (as `civicid up` and `civicid demo` serve it),
naming the file, with ``rule_requests_damaged``, and left as it is: not told first to the
citizen who asks by a rule, as a 503 on every such request of an issuer that looked up."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicid.errors import Error
from cli.harness import serving
from cli.main import app
from issuer.app import create_app
from issuer.rule_requests import FILE
from tests.issuer.conftest import Env

runner = CliRunner()

DAMAGE = {
    "empty": b"",
    "text": b"not a database at all, just some text\n" * 200,
    "cut short": b"SQLite format 3\x00\x10\x00\x01\x01\x00\x40\x20\x20" + b"\x00" * 100,
}


def damaged(env: Env, content: bytes) -> Path:
    env.issuer.close()  # its store's lock freed, as when it is not running
    path = env.settings.store_dir / FILE
    path.write_bytes(content)
    return path


def started(env: Env) -> None:
    with serving(create_app(env.settings), 0, settings=env.settings):
        pass


@pytest.mark.parametrize("content", DAMAGE.values(), ids=DAMAGE.keys())
def test_issuer_serve_refuses_before_its_port(env: Env, content: bytes, taken: str) -> None:
    path = damaged(env, content)
    result = runner.invoke(
        app, ["issuer", "serve", "--port", taken, "--data-dir", str(env.data_dir)]
    )
    assert result.exit_code == 3
    assert "[rule_requests_damaged]" in result.stderr
    assert str(path) in result.stderr
    assert "Traceback" not in result.stderr
    assert path.read_bytes() == content


def test_the_app_refuses_at_start_up(env: Env) -> None:
    path = damaged(env, DAMAGE["text"])
    with pytest.raises(Error) as caught:
        started(env)
    assert caught.value.code == "rule_requests_damaged"
    assert str(path) in caught.value.message
    assert path.read_bytes() == DAMAGE["text"]


def test_a_directory_in_its_place_is_refused_at_start_up(env: Env) -> None:
    env.issuer.close()
    path = env.settings.store_dir / FILE
    path.mkdir()
    with pytest.raises(Error) as caught:
        started(env)
    assert caught.value.code == "rule_requests_damaged"
    assert path.is_dir()


def test_no_file_is_no_refusal_and_none_is_made(env: Env) -> None:
    env.issuer.close()
    path = env.settings.store_dir / FILE
    with serving(create_app(env.settings), 0, settings=env.settings) as url:
        assert url.startswith("http://127.0.0.1:")
    assert not path.exists()

"""``civicid issuer serve`` on a clock that reads a day before its store was last written is
refused in one line (``service_clock_behind``) before the store is opened: before, only
``civicid up`` checked, and an issuer served alone signed cards dated before those it had."""

from __future__ import annotations

from tests.clock_behind import assert_serve_refused, moved_back
from tests.issuer.conftest import Env


def test_serve_refuses_a_clock_moved_back(env: Env) -> None:
    env.issuer.close()
    moved_back(env.settings.store_dir)
    assert_serve_refused("issuer", env.data_dir)
    env.issuer = env.reopen()  # the store untouched: it opens as before

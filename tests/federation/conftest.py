"""Federation fixtures: two countries' ledgers on loopback and a desk at home."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.federation.world import Countries, serve
from tests.verifier.conftest import no_remembered_schemas  # noqa: F401  (autouse fixture)
from tests.verifier.world import NOW, Clock, build_world


@pytest.fixture
def countries(tmp_path: Path) -> Iterator[Countries]:
    home = build_world(tmp_path / "home", Clock(NOW))
    abroad = build_world(tmp_path / "abroad", Clock(NOW))
    with ExitStack() as stack:
        home_url = serve(home, stack)
        abroad_url = serve(abroad, stack)
        yield Countries(home, abroad, home_url, abroad_url, Clock(NOW + 120))
    home.ledger.close()
    abroad.ledger.close()

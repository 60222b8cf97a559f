"""The process's connection cap follows its file-descriptor limit (less the reserve), up to a
ceiling and down to a floor; at each edge exactly."""

from __future__ import annotations

import resource

import pytest

from civicid.shell import connections
from civicid.shell.connections import FD_RESERVE, MAX_PROCESS_CONNECTIONS, MIN_PROCESS_CONNECTIONS


def limit_with(monkeypatch: pytest.MonkeyPatch, soft: int) -> int:
    """``process_limit`` under a descriptor limit of ``soft`` (the only limit it may ask)."""

    def getrlimit(which: int) -> tuple[int, int]:
        assert which == resource.RLIMIT_NOFILE, which
        return soft, resource.RLIM_INFINITY

    monkeypatch.setattr(resource, "getrlimit", getrlimit)
    return connections.process_limit()


def test_the_limit_asked_is_the_descriptors_one(monkeypatch: pytest.MonkeyPatch) -> None:
    assert limit_with(monkeypatch, 4096) == 4096 - FD_RESERVE


@pytest.mark.parametrize(
    ("soft", "cap"),
    [
        # The ceiling itself, before the reserve is taken: the reserve still is.
        (MAX_PROCESS_CONNECTIONS, MAX_PROCESS_CONNECTIONS - FD_RESERVE),
        (MAX_PROCESS_CONNECTIONS + FD_RESERVE - 1, MAX_PROCESS_CONNECTIONS - 1),
        (MAX_PROCESS_CONNECTIONS + FD_RESERVE, MAX_PROCESS_CONNECTIONS),
        (MAX_PROCESS_CONNECTIONS + FD_RESERVE + 1, MAX_PROCESS_CONNECTIONS),
        (10 * MAX_PROCESS_CONNECTIONS, MAX_PROCESS_CONNECTIONS),
        (FD_RESERVE + MIN_PROCESS_CONNECTIONS + 1, MIN_PROCESS_CONNECTIONS + 1),
        (FD_RESERVE + MIN_PROCESS_CONNECTIONS, MIN_PROCESS_CONNECTIONS),
        (FD_RESERVE + MIN_PROCESS_CONNECTIONS - 1, MIN_PROCESS_CONNECTIONS),
        (FD_RESERVE, MIN_PROCESS_CONNECTIONS),
    ],
)
def test_the_cap_at_the_edges(monkeypatch: pytest.MonkeyPatch, soft: int, cap: int) -> None:
    assert limit_with(monkeypatch, soft) == cap

"""A service that cannot start under ``civicid up`` or ``demo`` (its store or trust file found
damaged at start-up) is reported as its own error, one line with its code, not as uvicorn's
traceback followed by "did not start"; a failure that is not one of ours keeps its traceback
in the log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI

from civicid.errors import Error, StorageError, declare
from civicid.shell.settings import ServiceSettings
from cli.harness import STARTUP_FAILED_LOG, serving

STARTUP_BROKEN = declare("test_startup_broken", StorageError, "a store found damaged at start-up")


def app_failing_with(failure: BaseException) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        raise failure
        yield  # pragma: no cover

    return FastAPI(lifespan=lifespan)


def test_a_start_up_refusal_is_raised_as_itself(capfd: pytest.CaptureFixture[str]) -> None:
    failing = app_failing_with(STARTUP_BROKEN("issuer.db is damaged"))
    with pytest.raises(Error) as caught, serving(failing, 0):
        pass  # pragma: no cover
    assert caught.value.code == "test_startup_broken"
    assert "issuer.db is damaged" in caught.value.message
    logged = capfd.readouterr().err
    assert "Traceback" not in logged and STARTUP_FAILED_LOG not in logged


def test_a_start_up_refusal_under_the_servers_limits_too() -> None:
    settings = ServiceSettings()
    failing = app_failing_with(STARTUP_BROKEN())
    with pytest.raises(Error) as caught, serving(failing, 0, settings=settings):
        pass  # pragma: no cover
    assert caught.value.code == "test_startup_broken"


def test_a_bug_at_start_up_keeps_its_traceback(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(Error) as caught, serving(app_failing_with(RuntimeError("a bug")), 0):
        pass  # pragma: no cover
    assert caught.value.code == "service_start_failed"
    assert "RuntimeError: a bug" in capfd.readouterr().err


def test_an_unreadable_file_at_start_up_is_one_line(capfd: pytest.CaptureFixture[str]) -> None:
    failing = app_failing_with(PermissionError(13, "Permission denied", "/data/checkpoint"))
    with pytest.raises(Error) as caught, serving(failing, 0):
        pass  # pragma: no cover
    assert caught.value.code == "file_access_failed"
    assert caught.value.message == "/data/checkpoint: Permission denied"
    assert "Traceback" not in capfd.readouterr().err

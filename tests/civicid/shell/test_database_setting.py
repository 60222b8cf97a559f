"""The one database setting every service has (``ServiceSettings.database_url``): from the
flag, the part's own variable, ``CIVICID_DATABASE_URL``, then the file; never written back
by ``rewrite`` (it may carry a password); a URL that is not PostgreSQL's refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic_settings import SettingsConfigDict

from civicid.errors import Error, InvalidInput, declare
from civicid.shell.settings import DATABASE_URL_ENV, ServiceSettings

DESK_INVALID = declare("desk_sample_settings_invalid", InvalidInput, "the sample desk is wrong")
SHARED = "postgresql://civic@127.0.0.1:5432/shared"
OWN = "postgresql://civic@127.0.0.1:5432/own"


class DeskSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICID_DESKSAMPLE_")
    part = "desksample"
    invalid = DESK_INVALID


def test_without_a_url_the_embedded_store_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    assert DeskSettings.load(tmp_path).database_url is None


def test_flag_over_own_variable_over_shared_variable_over_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "desksample.toml").write_text('database_url = "postgresql://f@h/file"\n')
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    assert DeskSettings.load(tmp_path).database_url == "postgresql://f@h/file"
    monkeypatch.setenv(DATABASE_URL_ENV, SHARED)
    assert DeskSettings.load(tmp_path).database_url == SHARED
    monkeypatch.setenv("CIVICID_DESKSAMPLE_DATABASE_URL", OWN)
    assert DeskSettings.load(tmp_path).database_url == OWN
    flag = "postgresql://flag@h/db"
    assert DeskSettings.load(tmp_path, database_url=flag).database_url == flag


def test_the_url_is_never_written_back_to_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, "postgresql://civic:s3cret@127.0.0.1/civic")
    settings = DeskSettings.load(tmp_path)
    text = settings.rewrite().read_text()
    assert "s3cret" not in text and "database_url" not in text


def test_a_url_that_is_not_postgresql_is_refused_with_the_parts_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, "mysql://civic:s3cret@127.0.0.1/civic")
    with pytest.raises(Error) as caught:
        DeskSettings.load(tmp_path)
    assert DESK_INVALID.matches(caught.value)
    assert "database_url" in caught.value.message and "s3cret" not in caught.value.message

"""The settings base: flags over environment over file over defaults; a bad file refused with
the part's own code; ``save`` changes some settings and keeps the rest of the file;
``rewrite`` writes what a part binds; the file is private and reads back the same."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

from civicid.errors import Error, InvalidInput, declare
from civicid.shell.settings import MAX_SETTINGS_BYTES, FileSettings

SAMPLE_INVALID = declare("sample_settings_invalid", InvalidInput, "the sample settings are wrong")


class Row(BaseModel):
    id: str
    display: list[dict[str, str]] | None = None


class SampleSettings(FileSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICID_SAMPLE_")
    part = "sample"
    invalid = SAMPLE_INVALID
    saved = ("name", "rows", "limit")

    name: str = "town hall"
    limit: int = Field(default=5, ge=1)
    colour: str | None = None
    rows: list[Row] = Field(default_factory=list)


def test_flags_over_environment_over_file_over_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert SampleSettings.load(tmp_path / "empty").limit == 5
    (tmp_path / "sample.toml").write_text('name = "from file"\nlimit = 7\ncolour = "red"\n')
    assert SampleSettings.load(tmp_path).limit == 7
    monkeypatch.setenv("CIVICID_SAMPLE_LIMIT", "8")
    monkeypatch.setenv("CIVICID_SAMPLE_COLOUR", "blue")
    loaded = SampleSettings.load(tmp_path, colour="green", name=None)
    assert (loaded.name, loaded.limit, loaded.colour) == ("from file", 8, "green")
    assert loaded.data_dir == tmp_path


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("limit = 0\n", "limit"),
        ("shade = 'blue'\n", "shade"),
        ("limit = [\n", "not TOML"),
        ("[[rows]]\nname = 1\n", "rows.0.id"),
    ],
)
def test_a_bad_file_is_refused_with_the_parts_code(tmp_path: Path, text: str, says: str) -> None:
    (tmp_path / "sample.toml").write_text(text)
    with pytest.raises(Error) as caught:
        SampleSettings.load(tmp_path)
    assert caught.value.code == "sample_settings_invalid"
    assert says in caught.value.message and "sample.toml" in caught.value.message


def test_a_bad_environment_is_refused_with_the_parts_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIVICID_SAMPLE_LIMIT", "many")
    with pytest.raises(Error) as caught:
        SampleSettings.load(tmp_path)
    assert caught.value.code == "sample_settings_invalid"
    # Named as the variable it came from, not the file (there is none).
    assert caught.value.message.startswith("sample settings: limit (from CIVICID_SAMPLE_LIMIT)")
    assert "sample.toml" not in caught.value.message, caught.value.message


def test_a_bad_flag_is_named_as_a_flag_not_the_file(tmp_path: Path) -> None:
    with pytest.raises(Error) as caught:
        SampleSettings.load(tmp_path, limit=0)
    assert caught.value.code == "sample_settings_invalid"
    message = caught.value.message
    assert message.startswith("sample settings: limit (given on the command line): "), message
    assert "sample.toml" not in message
    # With a file beside it, each value is still blamed on where it came from.
    (tmp_path / "sample.toml").write_text("shade = 'blue'\n")
    with pytest.raises(Error) as caught:
        SampleSettings.load(tmp_path, limit=0)
    message = caught.value.message
    assert f"sample settings ({tmp_path / 'sample.toml'}): " in message, message
    assert "limit (given on the command line): " in message and "shade: " in message


def test_save_changes_some_and_keeps_the_rest(tmp_path: Path) -> None:
    (tmp_path / "sample.toml").write_text('# mine\ncolour = "red"\nlimit = 3\n')
    saved = SampleSettings.load(tmp_path).save(limit=9, name=None)
    assert (saved.colour, saved.limit, saved.name) == ("red", 9, "town hall")
    assert stat.S_IMODE((tmp_path / "sample.toml").stat().st_mode) == 0o600
    assert SampleSettings.load(tmp_path) == saved


def test_save_refuses_what_would_not_load_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "sample.toml").write_text("limit = 3\n")
    with pytest.raises(Error) as caught:
        SampleSettings.load(tmp_path).save(limit=0)
    assert caught.value.code == "sample_settings_invalid"
    assert (tmp_path / "sample.toml").read_text() == "limit = 3\n"


def test_rewrite_writes_what_the_part_binds_and_reads_back_the_same(tmp_path: Path) -> None:
    chosen = SampleSettings(
        data_dir=tmp_path,
        name='Mairie "centrale" d\'Arles \\ été',
        colour="not bound",
        rows=[Row(id="a", display=[{"name": "Carte", "locale": "fr-FR"}]), Row(id="b")],
    )
    path = chosen.rewrite()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text("utf-8")
    assert "colour" not in text and text.startswith("# civicid sample settings")
    again = SampleSettings.load(tmp_path)
    assert again == chosen.model_copy(update={"colour": None})


@pytest.mark.parametrize("kind", ["named pipe", "directory"])
def test_a_settings_file_that_is_no_file_is_refused_at_once(tmp_path: Path, kind: str) -> None:
    # A named pipe in place of the file would block every command reading it for ever.
    path = SampleSettings.file_in(tmp_path)
    if kind == "named pipe":
        os.mkfifo(path)
    else:
        path.mkdir()
    with pytest.raises(Error) as caught:
        SampleSettings.load(tmp_path)
    assert caught.value.code == "sample_settings_invalid"
    assert f"{path} is not a regular file (a {kind})" in caught.value.message


def test_a_settings_file_past_its_bound_is_refused_unread(tmp_path: Path) -> None:
    path = SampleSettings.file_in(tmp_path)
    path.write_bytes(b"#" * (MAX_SETTINGS_BYTES + 1))
    with pytest.raises(Error) as caught:
        SampleSettings.load(tmp_path)
    assert caught.value.code == "sample_settings_invalid"
    assert f"over {MAX_SETTINGS_BYTES} bytes" in caught.value.message
    path.write_bytes(b"#" * MAX_SETTINGS_BYTES)  # at the bound: read (a comment only)
    assert SampleSettings.load(tmp_path).limit == 5


def test_a_settings_file_that_is_a_link_leading_nowhere_is_refused_not_read_as_none(
    tmp_path: Path,
) -> None:
    # It was read as no file: the defaults, and a part's first run (``civicid up`` set the
    # desk up again over its own policies), or a save writing a new file through the link.
    path = SampleSettings.file_in(tmp_path)
    path.symlink_to(tmp_path / "moved" / path.name)
    loads = lambda: SampleSettings.load(tmp_path)  # noqa: E731
    saves = lambda: SampleSettings.write(tmp_path, {"limit": 3})  # noqa: E731
    for read in (loads, saves):
        with pytest.raises(Error) as caught:
            read()
        assert caught.value.code == "sample_settings_invalid"
        assert f"a link to {tmp_path / 'moved' / path.name}, which is missing" in (
            caught.value.message
        )
    assert path.is_symlink() and not (tmp_path / "moved").exists()

"""Issuer settings: flags > CIVICID_ISSUER_* > <data-dir>/issuer.toml > defaults; the file
``init`` writes reads back the same; nonsense refused with a code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from civicid.errors import Error
from issuer.settings import CONFIG_FILE, ConfigurationSettings, IssuerSettings

ROOT = Path(__file__).parents[2]


def write(path: Path, text: str) -> None:
    (path / CONFIG_FILE).write_text(text, "utf-8")


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, 'port = 9001\nstatus_interval = 30\npublic_url = "https://a.example"\n')
    monkeypatch.setenv("CIVICID_ISSUER_PORT", "9002")
    monkeypatch.setenv("CIVICID_ISSUER_STATUS_INTERVAL", "45")
    settings = IssuerSettings.load(tmp_path, port=9003)
    assert settings.port == 9003  # flag
    assert settings.status_interval == 45  # env over file
    assert settings.public_url == "https://a.example"  # file over default
    assert settings.offer_ttl == 7 * 86400  # default


def test_round_trip_through_the_file(tmp_path: Path) -> None:
    chosen = IssuerSettings(
        data_dir=tmp_path,
        public_url="https://id.example.gov/",
        checkpoint_key="civicid.example/ledger+abcd+AAAA",
        credential_configurations=[
            ConfigurationSettings(
                id="national-id",
                vct="https://civicid.example/vct/national-id",
                batch_size=5,
                display=[{"name": 'Carte "nationale" d\'identité', "locale": "fr-FR"}],
            )
        ],
    )
    write(tmp_path, chosen.to_toml())
    again = IssuerSettings.load(tmp_path)
    assert again == chosen
    assert again.public_url == "https://id.example.gov"  # trailing slash dropped


@pytest.mark.parametrize(
    "text",
    [
        "port = 0\n",
        'public_url = "ftp://x"\n',
        "status_interval = 0\n",
        "unknown_setting = 1\n",
        "not toml = = =\n",
        '[[credential_configurations]]\nid = "a b"\nvct = "https://x.example/v"\n',
    ],
)
def test_nonsense_refused(tmp_path: Path, text: str) -> None:
    write(tmp_path, text)
    with pytest.raises(Error) as caught:
        IssuerSettings.load(tmp_path)
    assert caught.value.code == "issuer_settings_invalid"


def test_not_initialized(tmp_path: Path) -> None:
    with pytest.raises(Error) as caught:
        IssuerSettings.load(tmp_path)
    assert caught.value.code == "issuer_not_initialized"


def test_issuer_library_is_usable_without_the_web_layer() -> None:
    """The domain imports no FastAPI: a fresh interpreter proves it."""
    code = (
        "import sys; import issuer.service, issuer.setup, issuer.store; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('fastapi', 'starlette', 'uvicorn')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr

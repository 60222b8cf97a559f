"""``civicid verifier policies`` on a data dir that holds no desk says so
(verifier_not_initialized, as ``audit`` does), not that the desk's policies are lost."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cli.main import app


def test_policies_with_no_desk_says_no_verifier(tmp_path: Path) -> None:
    for args in (["policies"], ["policies", "--json"], ["audit"]):
        result = CliRunner().invoke(app, ["verifier", *args, "--data-dir", str(tmp_path)])
        assert result.exit_code != 0
        line = result.stderr.strip()
        assert line.endswith("[verifier_not_initialized]") and "\n" not in line, line
        assert "civicid verifier init --desk NAME" in line

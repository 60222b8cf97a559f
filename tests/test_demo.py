"""``civicid demo`` runs end to end on loopback and tells the story it promises."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cli.main import app


def test_demo_runs_the_whole_flow(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "agency may issue national-id?       yes" in out
    assert "desk may ask given_name, age_over_18? yes" in out
    assert "[verifier_claims_not_allowed]" in out
    for code in ("signer_not_governance", "issuer_not_accredited", "status_list_not_owner"):
        assert f"refused [{code}]" in out
    assert "revoked" in out and "suspended" in out
    assert "checkpoint verified: True" in out and out.rstrip().endswith("demo complete")

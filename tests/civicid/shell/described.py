"""What a served OpenAPI description of a service that checks Host must say."""

from __future__ import annotations

from typing import Any


def names_the_host_refusal(described: dict[str, Any]) -> None:
    """Every operation of ``described`` names the 400 ``host_not_allowed``."""
    assert described["paths"]
    for path, operations in described["paths"].items():
        for method, operation in operations.items():
            refusal = operation["responses"]["400"]["description"]
            assert "`host_not_allowed`" in refusal, (path, method)

"""The desk page shows the request as a QR code: an SVG document a browser draws as <img>."""

from __future__ import annotations

from xml.etree import ElementTree

from fastapi.testclient import TestClient

from verifier.app import create_app
from verifier.service import Verifier

SVG = "{http://www.w3.org/2000/svg}"


def test_the_qr_code_is_a_standalone_svg_document_of_the_link(verifier: Verifier) -> None:
    with TestClient(create_app(verifier=verifier), base_url="http://localhost") as client:
        created = client.post("/requests", json={"policy": "age-check"}).json()
        answer = client.get(f"/transactions/{created['transaction_id']}/qr.svg")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("image/svg+xml")
    # Without the namespace, an <img> shows a broken image: the root must be svg:svg.
    root = ElementTree.fromstring(answer.text)  # noqa: S314 (our own answer, in a test)
    assert root.tag == SVG + "svg"
    assert root.find(SVG + "title").text == created["link"]  # type: ignore[union-attr]

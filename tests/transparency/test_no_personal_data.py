"""The page never shows a claim value or a citizen identifier: the whole system runs on
loopback, an agency issues national IDs to two citizens' wallets, revokes one and suspends
the other; then every response of the page (the page, its script and style, and every entry
its "check a record" form can fetch, decoded) is scanned for the citizens' claim values and
their wallets' holder keys, and none is there. The counts still show what happened."""

from __future__ import annotations

import base64
import json
import re
import secrets
from pathlib import Path
from typing import Any

from civicid.http import HttpClient
from cli import stack
from cli.harness import free_port

CITIZENS = [
    {
        "given_name": "Quintessa",
        "family_name": "Marlowe-Vexley",
        "birthdate": "1971-03-14",
        "address": {
            "street_address": "77 Rue Saint-Zéphyrin",
            "locality": "Montbrisard",
            "postal_code": "38613",
            "country": "FR",
        },
        "nationalities": ["FR"],
        "resident": True,
        "age_equal_or_over": {"18": True, "65": False},
    },
    {
        "given_name": "Barnabé",
        "family_name": "Oyelaran-Thistlewood",
        "birthdate": "2001-11-29",
        "address": {
            "street_address": "4 Kestrel Mews",
            "locality": "Hollowmere",
            "postal_code": "HM4 9QX",
            "country": "GB",
        },
        "nationalities": ["GB"],
        "resident": True,
        "age_equal_or_over": {"18": True, "65": False},
    },
]
# Values that only a citizen's credential holds (countries and booleans are everywhere).
COMMON = {"FR", "GB", True, False}


def leaves(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in leaves(item)]
    return [] if value in COMMON else [str(value)]


def unb64url(text: str) -> str:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8", "replace")
    except ValueError:
        return ""


def decoded(text: str) -> str:
    """``text`` with every base64url run in it decoded beside it (JWS parts, keys)."""
    runs = re.findall(r"[A-Za-z0-9_-]{16,}", text)
    return text + "\n" + "\n".join(unb64url(run) for run in runs)


def holder_keys(sd_jwt: str) -> list[str]:
    payload = json.loads(unb64url(sd_jwt.split("~")[0].split(".")[1]))
    jwk = payload["cnf"]["jwk"]
    return [jwk[member] for member in ("x", "y") if member in jwk]


def issue(running: stack.Running, staff: HttpClient, root: Path) -> tuple[list[str], list[str]]:
    """Each citizen's credential into their own wallet; their claim values and holder keys."""
    from wallet.holder.wallet import Wallet
    from wallet.settings import WalletSettings

    values: list[str] = []
    keys: list[str] = []
    for number, claims in enumerate(CITIZENS):
        offer = staff.post_json(
            "/staff/offers",
            json={"configuration": stack.NATIONAL_ID_CONFIG, "record": f"R-{number}",
                  "claims": claims},
        )  # fmt: skip
        settings = WalletSettings(
            data_dir=root / f"citizen-{number}",
            ledger_url=running.ledger_url,
            ledger_key=running.ledger.vkey,
        )
        wallet = Wallet.create(settings, secrets.token_urlsafe(16))
        try:
            review = wallet.review_offer(offer["linkByReference"])
            received = wallet.accept_offer(review, offer["txCode"])
        finally:
            wallet.close()
        values += leaves(claims)
        for card in received:
            for copy in card.copies:
                keys += holder_keys(copy.sd_jwt)
                keys += [str(v) for k, v in copy.key.items() if k in ("d", "x", "y")]
    return values, keys


def test_no_response_of_the_page_shows_a_claim_value_or_a_holder_key(tmp_path: Path) -> None:
    ports = stack.Ports(free_port(), free_port(), free_port())
    with stack.running(tmp_path / "stack", ports) as running:
        clerk = {"authorization": f"Bearer {running.clerk_key}"}
        with HttpClient(running.issuer_url, headers=clerk) as staff:
            values, keys = issue(running, staff, tmp_path)
            issued = {
                record: staff.get_json("/staff/credentials", params={"record": record})
                for record in ("R-0", "R-1")
            }
            staff.post_json(f"/staff/credentials/{issued['R-0']['credentials'][0]['id']}/revoke")
            staff.post_json(f"/staff/credentials/{issued['R-1']['credentials'][0]['id']}/suspend")
            staff.post_json("/staff/publish")
        with HttpClient(running.ledger_url) as ledger:
            page = ledger.get("/transparency")
            responses = [page.text]
            responses += [ledger.get(f"/transparency/static/{name}").text
                          for name in ("transparency.js", "transparency.css")]  # fmt: skip
            size = int(ledger.get_json("/health")["treeSize"])
            # Every entry the form can fetch and show (decoded: it shows the signer and type).
            responses += [decoded(ledger.get(f"/transactions/{seq}").text) for seq in range(size)]
    assert len(values) >= 12 and len(keys) >= 4  # the scan looks for something
    everything = "\n".join(responses)
    for secret in values + keys:
        assert secret not in everything, secret
    # The page still shows what happened, in counts.
    agency = running.agency.did
    block = page.text.split(f'data-agency="{agency}"')[1].split("</figcaption>")[0]
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', block))
    # Each credential came as a batch of unlinkable copies, each on its own place of the list.
    assert int(counts["revoked"]) == int(counts["suspended"]) >= 1

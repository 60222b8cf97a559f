"""The demo's federation part: a second country with its own ledger and a town hall desk
that pins the first country's ledger by its trust policy. A citizen of the first country,
living in the second, holds a national ID issued at home; the desk abroad finds them eligible
with every answer proven on the first ledger, and sees the revocation published there.
"""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Callable
from contextlib import ExitStack, closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from civicid.did import DID
from civicid.http import HttpClient
from civicid.identity import Identity
from civicid.keystore import KeyStore
from civicid.ledger_client import LedgerClient
from civicid.names import endorsed_names, names_service
from civicid.oid4vp import parse_link, verify_receipt, verify_request_object
from civicid.sdjwt import present
from civicid.trust import Trust
from civicid.trust.pins import PinnedLedger, Pins
from cli import stack
from cli.harness import free_port, serving
from cli.story import Story

ABROAD_ORIGIN: Final = "varn.civicid.example/ledger"
ABROAD_DIR: Final = "varn"  # the second country's data, under the first's data dir
HOME_NAME: Final = "cadur"  # how the desk and the wallet abroad call the first ledger
DESK_NAMES: Final = {"en": "Varn town hall desk", "fr": "Guichet de la mairie de Varn"}
RECORD: Final = "R-2077"
HOUSING: Final = "housing-benefit"
HOUSING_PATHS: Final = [("resident",), ("age_equal_or_over", "18")]
DESK_KEY_RELATIONSHIP: Final = "authentication"


def run(
    story: Story,
    services: ExitStack,
    root: Path,
    *,
    ledger: stack.Ledgered,
    ledger_url: str,
    policy: Path,
    staff: HttpClient,
    trust: Trust,
) -> None:
    """``trust``: the home ledger's, kept up to date with what these steps publish there.
    Steps: the second ledger and its desk pinning the first; the citizen abroad found
    eligible; the revocation at home seen abroad."""
    with story.step("federation", "A second country: its own ledger, a desk pinning Cadur's"):
        varn = start_abroad(services, root / ABROAD_DIR, ledger=ledger, ledger_url=ledger_url,
                            policy=policy)  # fmt: skip
        pinned, desk_url, varn_url = varn.pin, varn.desk_url, varn.ledger_url
        story.say(f"ledger {varn.ledger.origin} {varn_url}, governance "
                  f"{short(varn.ledger.governance.did)}")  # fmt: skip
        story.say(f"desk {short(varn.desk)} accredited there by Varn's governance")
        witnesses = len(pinned.policy.witnesses.witnesses)
        story.say(f"the desk pins ledger {HOME_NAME}: its checkpoint key {pinned.vkey[:28]}…,")
        story.say(f"  {witnesses} witnesses, their quorum, governance {short(pinned.governance)}")
        story.say("  accepts from it: national IDs by any agency accredited there")
        story.say(f"verifier {desk_url} (nothing of Cadur's ledger is copied into Varn's)")
        story.fact(ledger=varn_url, desk=desk_url, pinned=pinned.to_json())

    with story.step("abroad", "A Cadur citizen living in Varn shows a Cadur ID at Varn's desk"):
        offer = stack.offer_national_id(staff, RECORD)
        wallet = services.enter_context(open_wallet(root, varn_url, varn.ledger.vkey, ledger,
                                                    ledger_url, policy))  # fmt: skip
        review = wallet.review_offer(offer["linkByReference"])
        wallet.accept_offer(review, offer["txCode"])
        story.say(f"the wallet's home is Varn's ledger; it pins {HOME_NAME} too")
        story.say(f"received from {review.issuer_name}: proven on Cadur's ledger, not Varn's")
        desk_http = services.enter_context(HttpClient(desk_url))
        created = desk_http.post_json("/requests", json={"policy": HOUSING})
        plan = wallet.prepare(created["link"])
        story.say(f"desk {plan.verifier_name}, accredited on Varn's ledger for what it asks")
        outcome = wallet.present(plan)
        receipt = outcome.receipt
        story.expect(receipt is not None, "no receipt")
        assert receipt is not None
        story.say(f"decision: {receipt.decision}: issuer key, accreditation, type and status")
        story.say(f"  proven on Cadur's ledger, its checkpoints cosigned by {witnesses_of(policy)}")
        story.expect(receipt.decision == "eligible", f"not eligible [{receipt.failed_step}]")
        story.fact(decision=receipt.decision)

    with story.step("abroad-revoked", "Cadur revokes it; Varn's desk sees it"):
        found = staff.get_json("/staff/credentials", params={"record": RECORD})
        staff.post_json(f"/staff/credentials/{found['credentials'][0]['id']}/revoke")
        staff.post_json("/staff/publish")
        trust.checkpoint()  # home's own view follows its ledger (witnessed on publish)
        story.say("Cadur's agency revokes and publishes its status list on Cadur's ledger")
        code = refusal_code(lambda: wallet.prepare(created_link(desk_http)))
        story.say(f"the wallet in Varn reads Cadur's list: nothing sent [{code}]")
        story.expect(code == "wallet_credential_revoked", f"wallet answered {code}")
        decision = shown_anyway(wallet, desk_http, varn_url, varn.ledger.vkey)
        story.say(f"shown anyway, the desk reads Cadur's list: {decision.decision} "
                  f"[{decision.failed_step}]")  # fmt: skip
        story.expect(decision.failed_step == "status_revoked", f"desk said {decision}")
        story.fact(wallet=code, desk=decision.failed_step)


@dataclass(frozen=True, slots=True)
class Abroad:
    """The second country, up: its ledger, its desk (pinning the first ledger) and the pin."""

    ledger: stack.Ledgered
    ledger_url: str
    desk: str
    desk_url: str
    pin: PinnedLedger

    def to_json(self) -> dict[str, Any]:
        return {"ledger": {"url": self.ledger_url, "origin": self.ledger.origin,
                           "checkpointKey": self.ledger.vkey},
                "verifier": {"url": self.desk_url, "deskPage": self.desk_url + "/",
                             "did": self.desk},
                "pinned": self.pin.to_json()}  # fmt: skip


def start_abroad(
    services: ExitStack,
    root: Path,
    *,
    ledger: stack.Ledgered,
    ledger_url: str,
    policy: Path,
    ledger_port: int = 0,
    verifier_port: int = 0,
) -> Abroad:
    """Set up what is missing in ``root`` (Varn's ledger, its desk, accredited there to ask
    for national ID claims, the desk's verifier) and serve the ledger and the desk, which
    pins the first ledger (``ledger`` at ``ledger_url``, its witnesses in ``policy``: the pin
    is written again each time, as their URLs may change)."""
    from verifier.app import create_app as verifier_app

    # Found or made as up's own ledger is: a lost key file of a ledger with entries is said
    # (ledger_key_missing, up_identity_missing), never taken for a place to begin anew.
    varn = stack.ensure_ledger(root, origin=ABROAD_ORIGIN)
    varn_url = services.enter_context(
        serving(stack.ledger_app(root), ledger_port or free_port(),
                settings=stack.ledger_settings(root))
    )  # fmt: skip
    client = LedgerClient(varn_url, varn.vkey, trust_file=root / stack.STATE_DIR / "checkpoint")
    services.callback(client.close)
    keys = KeyStore(root / "keys")
    stack.check_not_lost(keys, stack.DESK, root / "verifier.toml")
    desk = (
        keys.identity(stack.DESK) if keys.exists(stack.DESK) else register_desk(client, varn, keys)
    )
    trust = Trust(client)
    if not trust.desk_standing(desk.did, stack.NATIONAL_ID, stack.DESK_CLAIMS).accredited:
        stack.accredit(
            client, varn, desk.did, purpose="Check eligibility for benefits at the town hall",
            claims={stack.NATIONAL_ID: list(stack.DESK_CLAIMS)},
        )  # fmt: skip
    pinned = pin_home(ledger, ledger_url, policy, types=(stack.NATIONAL_ID,))
    settings = stack.ensure_verifier(root, varn, varn_url, verifier_port or free_port())
    Pins(settings.federation_path).add(pinned)
    desk_url = services.enter_context(
        serving(verifier_app(settings), settings.port, settings=settings)
    )
    return Abroad(varn, varn_url, desk.did, desk_url, pinned)


def up_abroad(services: ExitStack, root: Path, running: stack.Running) -> Abroad:
    """``civicid up --federation``: Varn beside the ledger ``running`` serves, in
    ``<data-dir>/varn``, set up on the first run and found again on the next."""
    assert running.witness_policy is not None  # up always runs its witnesses
    return start_abroad(services, root / ABROAD_DIR, ledger=running.ledger,
                        ledger_url=running.ledger_url, policy=running.witness_policy)  # fmt: skip


def describe(abroad: Abroad) -> str:
    """What ``civicid up --federation`` adds to its description."""
    return "\n".join(
        [
            "",
            f"  second country ({abroad.ledger.origin}): ledger {abroad.ledger_url}",
            f"  its desk page  {abroad.desk_url}/  (pins this ledger as {HOME_NAME!r}:"
            " national IDs accepted)",
        ]
    )


def register_desk(client: LedgerClient, ledger: stack.Ledgered, keys: KeyStore) -> Identity:
    desk = Identity.create(prerotate=True, services=[names_service(DESK_NAMES)])
    endorsement = ledger.governance.endorse(desk.did, "service-desk", ledger=ledger.origin)
    keys.put(stack.DESK, desk.to_json())
    client.submit(desk.create_tx(role="service-desk", endorsement=endorsement,
                                 ledger=ledger.origin))  # fmt: skip
    trust = Trust(client)
    names = endorsed_names(trust.history(desk.did))
    if names != DESK_NAMES:  # pragma: no cover (the ledger echoes what it was given)
        raise AssertionError(f"the desk's names read back as {names}")
    return desk


def pin_home(
    ledger: stack.Ledgered, ledger_url: str, policy: Path, *, types: tuple[str, ...] = ()
) -> PinnedLedger:
    """Cadur's ledger as Varn pins it: its key on the log line, Cadur's witnesses and quorum."""
    text = f"log {ledger.vkey} {ledger_url}\n" + policy.read_text("utf-8")
    return PinnedLedger(
        name=HOME_NAME, urls=ledger_url, policy_text=text,
        governance=DID(ledger.governance.did), types=types,
    )  # fmt: skip


def open_wallet(
    root: Path, varn_url: str, varn_vkey: str, ledger: stack.Ledgered, ledger_url: str,
    policy: Path,
) -> Any:  # fmt: skip
    """The citizen's wallet abroad: Varn's ledger its home, Cadur's pinned."""
    from wallet.holder.wallet import Wallet
    from wallet.settings import WalletSettings

    settings = WalletSettings(data_dir=root / "citizen-abroad", ledger_url=varn_url,
                              ledger_key=varn_vkey)  # fmt: skip
    Pins(settings.federation_path).add(pin_home(ledger, ledger_url, policy))
    return closing(Wallet.create(settings, secrets.token_urlsafe(16)))


def created_link(desk: HttpClient) -> str:
    return str(desk.post_json("/requests", json={"policy": HOUSING})["link"])


def shown_anyway(wallet: Any, desk: HttpClient, varn_url: str, varn_vkey: str) -> Any:
    """What a wallet that skipped its own status check would send: a presentation of the
    revoked card, over the real request and direct_post; the desk's signed receipt."""
    link = parse_link(created_link(desk))
    with LedgerClient(varn_url, varn_vkey) as client:
        trust = Trust(client)
        now = trust.clock()
        desk_key = desk_key_of(trust, now)
        request = verify_request_object(desk.get(link.request_uri).text, desk_key, now=now)
        copy = wallet.credentials()[0].copies[0]
        shown = present(copy.sd_jwt, disclose=HOUSING_PATHS, holder_key=copy.holder_key(),
                        nonce=request.nonce, aud=request.client_id, iat=now)  # fmt: skip
        form = {"state": request.state, "vp_token": json.dumps({"credential": [shown]})}
        answer = desk.post(request.response_uri, data=form)
        answer.raise_for_error()
        return verify_receipt(answer.json_object()["receipt"], desk_key, nonce=request.nonce,
                              client_id=request.client_id)  # fmt: skip


def desk_key_of(trust: Trust, now: int) -> Callable[[str], Any]:
    """The desk's authentication key, as the ledger of Varn has it now (a wallet's check)."""
    return functools.partial(desk_key, trust, now)


def desk_key(trust: Trust, now: int, kid: str) -> Any:
    return trust.key_in_force(kid, now, DESK_KEY_RELATIONSHIP, now=now)


def witnesses_of(policy: Path) -> str:
    names = [line.split()[1] for line in policy.read_text("utf-8").splitlines()
             if line.startswith("witness ")]  # fmt: skip
    return ", ".join(names)


def refusal_code(action: Any) -> str:
    try:
        action()
    except Exception as exc:  # a code, or the name of what went wrong
        return str(getattr(exc, "code", type(exc).__name__))
    return "accepted"


def short(did: str) -> str:
    return did[:22] + "…" if len(did) > 24 else did

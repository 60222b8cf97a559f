"""``civicid demo``: the whole promise on loopback, narrated step by step.

A ledger, an agency's issuer and a service desk's verifier run as real HTTP services on free
loopback ports over a fresh data directory; a real, encrypted wallet plays the citizen
through the real protocols (OpenID4VCI, OpenID4VP). Each step says what crossed the wire and
is checked against what the story promises; ``--json`` prints the same record for machines,
and the command exits non-zero if any step did not behave as told.
"""

from __future__ import annotations

import json
import secrets
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated, Any, Final

import typer

from civicid.checkpoint_policy import CHECKPOINT_QUORUM_MISSING, CheckpointPolicy
from civicid.console import AsJson
from civicid.errors import INTERNAL_ERROR, Error, StorageError, Unavailable, declare
from civicid.http import HttpClient
from civicid.keystore import KeyStore
from civicid.ledger_client import LedgerClient
from civicid.names import endorsed_names
from civicid.trust import Trust
from cli import demo_federation, demo_rules, stack
from cli.harness import free_port, serving
from cli.story import Story

HOUSING: Final = "housing-benefit"
RECORD: Final = "R-1042"  # the agency's own reference for the citizen's civil record
# Claims a housing-benefit desk needs; everything else on the card stays in the wallet.
HOUSING_CLAIMS: Final = ("resident", "age_equal_or_over.18")
DEMO_INTERRUPTED = declare("demo_interrupted", Unavailable, "the demo was interrupted")
DEMO_DIR_UNWRITABLE = declare(
    "demo_dir_unwritable", StorageError, "the demo cannot write its data directory"
)


def demo(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Keep the demo's data here; it must be empty or new.",
            show_default="a fresh temporary directory, removed afterwards",
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Run the whole flow on loopback: ledger, issuance, presentation, revocation, audit."""
    story = Story(quiet=as_json)
    failure: Error | None = None
    try:
        if data_dir is None:
            with tempfile.TemporaryDirectory(prefix="civicid-demo-") as tmp:
                run(Path(tmp), story)
        else:
            run(prepare_dir(data_dir), story)
    except Error as exc:
        failure = exc
    except KeyboardInterrupt:
        failure = DEMO_INTERRUPTED()
    except Exception as exc:  # a bug: still one line, with the step it happened in
        failure = INTERNAL_ERROR(f"{type(exc).__name__}: {exc}")
    if as_json:
        typer.echo(json.dumps({**story.to_json(), "error": failure and failure.to_json()}))
    if failure is not None:
        typer.echo(f"error: {failure.message} [{failure.code}]", err=True)
        raise typer.Exit(failure.exit_code)
    if not as_json:
        typer.secho("\ndemo complete: every step behaved as told", fg=typer.colors.GREEN, bold=True)
        typer.echo(next_step(sys.argv[0]))


def next_step(invoked: str) -> str:
    """What to do after the story: the same parts left running over a kept data directory,
    to look at by hand, with the command as it was run (``.venv/bin/civicid`` from the
    checkout, ``civicid`` is not on the PATH yet)."""
    command = invoked if Path(invoked).name == "civicid" else "civicid"
    return (
        "next: the same services left running, the wallet app and the desk page to try by hand:\n"
        f"  {command} up --data-dir ~/civicid-play   (it prints the URLs, then what to do)"
    )


def prepare_dir(path: Path) -> Path:
    """A new or empty directory we can write, or one clear error (nothing half-written)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        if any(path.iterdir()):
            raise DEMO_DIR_UNWRITABLE(f"{path} is not empty; the demo starts from nothing")
        probe = path / ".probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise DEMO_DIR_UNWRITABLE(f"cannot write {path}: {exc.strerror}") from exc
    return path


def run(root: Path, story: Story) -> None:
    ports = stack.Ports(free_port(), free_port(), free_port())
    with ExitStack() as services:
        with story.step("ledger", "Ledger: genesis, three witnesses, served on loopback"):
            ledger = stack.ensure_ledger(root)
            homes = stack.ensure_witnesses(root, ledger)
            witnesses = stack.serve_witnesses(services, homes, ports.witnesses)
            policy = stack.write_witness_policy(root, witnesses)
            ledger_url = services.enter_context(
                serving(
                    stack.ledger_app(root, witness_policy=policy),
                    ports.ledger,
                    settings=stack.ledger_settings(root, witness_policy=policy),
                )
            )
            client = LedgerClient(
                ledger_url,
                ledger.vkey,
                trust_file=root / stack.STATE_DIR / "checkpoint",
                policy=CheckpointPolicy.load(policy),
            )
            services.callback(client.close)
            # Every "may I believe this?" below is asked of the kernel's one trust path, as the
            # parts ask it; the client itself only submits, and waits for the witnesses.
            trust = Trust(client)
            story.say(f"origin {ledger.origin}, governance {short(ledger.governance.did)}")
            for witness in witnesses:
                story.say(f"witness {witness.name} {witness.url} ({witness.vkey.split('+')[0]})")
            story.say(f"every client requires any {stack.QUORUM} of the 3 (C2SP tlog-policy)")
            # Accepted as Trust.checkpoint accepts it (the same client, the same policy),
            # polled until the witnesses' first cosignatures are served.
            checkpoint = client.witnessed_covering(1)
            story.say(f"GET {ledger_url}/checkpoint → signed note, size {checkpoint.size}")
            tell_cosignatures(story, client)
            story.fact(url=ledger_url, origin=ledger.origin, checkpointKey=ledger.vkey,
                       witnesses=[w.url for w in witnesses])  # fmt: skip

        keys = KeyStore(root / "keys")
        with story.step("identities", "An agency and a service desk register their DIDs"):
            issuer_public = f"http://127.0.0.1:{ports.issuer}"  # its status lists live under it
            agency, seq_a = stack.ensure_identity(
                client, ledger, keys, stack.AGENCY, "agency", issuer_public
            )
            desk, seq_d = stack.ensure_identity(client, ledger, keys, stack.DESK, "service-desk")
            story.say(f"POST /transactions did.create {short(agency.did)} (agency) → entry {seq_a}")
            story.say(f"POST /transactions did.create {short(desk.did)} (desk) → entry {seq_d}")
            story.say("each endorsed by governance; each receipt's entry proven in a checkpoint")
            story.say(f"  that {stack.QUORUM} witnesses cosigned (the client waits for it)")
            named = [endorsed_names(trust.history(who.did)) for who in (agency, desk)]
            story.expect(
                named == [stack.NAMES[stack.AGENCY], stack.NAMES[stack.DESK]],
                "the names read back from the ledger are not the ones registered",
            )
            story.say(
                f'names read back: "{named[0]["en"]}", "{named[1]["en"]}" (en, fr; as endorsed)'
            )
            story.fact(agency=agency.did, desk=desk.did)

        with story.step("accreditations", "Governance accredits the agency and the desk"):
            for who, grant, seq in stack.ensure_accreditations(trust, ledger, agency, desk):
                scope = "issue national IDs" if who == "agency" else "ask 5 national ID claims"
                story.say(f"{who}: {grant} ({scope}) → entry {seq}")
            issuing = trust.issuer_standing(agency.did, stack.NATIONAL_ID, trust.clock())
            asking = trust.desk_standing(desk.did, stack.NATIONAL_ID, stack.DESK_CLAIMS)
            story.expect(issuing.accredited, f"the agency is not accredited [{issuing.reason}]")
            story.expect(
                asking.accredited, f"the desk is not accredited [{asking.standing.reason}]"
            )
            story.say(
                f"read back, proven (nothing newer withheld): agency {issuing.accreditation}, "
                f"desk {len(asking.allowed)} claims"
            )

        with story.step("type", "The agency registers the national ID credential type"):
            type_seq = stack.ensure_type(trust, ledger, agency)
            proven = trust.credential_type(stack.NATIONAL_ID)
            story.say(f"credential_type.register {stack.NATIONAL_ID} → entry {type_seq}")
            story.say(f"type metadata {proven.metadata.get('name')!r} + JSON Schema, proven")

        with story.step("services", "The agency's issuer and the desk's verifier start"):
            issuer_settings = stack.ensure_issuer(
                root, ledger, ledger_url, ports.issuer, client, witness_policy=policy
            )
            clerk_key = stack.ensure_clerk(root, issuer_settings)
            verifier_settings = stack.ensure_verifier(
                root, ledger, ledger_url, ports.verifier, witness_policy=policy
            )
            issuer_url, verifier_url = start_parts(services, issuer_settings, verifier_settings)
            story.say(f"issuer   {issuer_url} (OpenID4VCI; first status list on the ledger)")
            story.say(f"verifier {verifier_url} (OpenID4VP; policies checked on the ledger)")
            story.fact(issuer=issuer_url, verifier=verifier_url)

        staff = services.enter_context(
            HttpClient(issuer_url, headers={"authorization": f"Bearer {clerk_key}"})
        )
        with story.step("offer", "A clerk offers the citizen a national ID"):
            offer = stack.offer_national_id(staff, RECORD)
            story.say(f"POST /staff/offers (record {RECORD}) → claims checked against the schema")
            story.say(f"offer link {offer['linkByReference'][:60]}…")
            story.say(f"transaction code {offer['txCode']}, handed over separately")

        wallet = services.enter_context(open_wallet(root, ledger_url, ledger.vkey, policy))
        with story.step("receive", "The citizen's wallet receives it (OpenID4VCI)"):
            review = wallet.review_offer(offer["linkByReference"])
            offered = review.offered[0]
            story.say(
                f"offer from {review.issuer_name} ({short(review.issuer_did)}) for "
                f"{offered.type_name or offered.vct}"
            )
            story.say(f"accredited for it ({offered.accreditation}): proven on the ledger first")
            received = wallet.accept_offer(review, offer["txCode"])
            story.expect(len(received) == 1, f"expected one credential, got {len(received)}")
            card = received[0]
            copies = len(card.copies)
            story.say(f"token (tx code) → nonce → credential: {copies} unlinkable copies")
            story.say("each verified with the agency's key from the ledger, then sealed")
            story.fact(credential=card.id, copies=copies)

        desk_http = services.enter_context(HttpClient(verifier_url))
        with story.step("request", "The desk asks: eligible for housing benefit?"):
            created = desk_http.post_json("/requests", json={"policy": HOUSING})
            story.say(f"POST /requests → {created['link'][:60]}…")
            story.say("request object signed by the desk's DID key, fetched once by request_uri")

        with story.step("present", "The citizen shares only what the desk needs"):
            plan = wallet.prepare(created["link"])
            asked = sorted({c.name for q in plan.queries for c in q.options[0].claims})
            story.say(
                f"desk {plan.verifier_name} ({short(plan.verifier)}), accredited for what it asks"
            )
            story.say(f"asked: {', '.join(asked)}")
            story.expect(not plan.not_allowed(), f"unexpected refusal {plan.not_allowed()}")
            outcome = wallet.present(plan)
            sent = sorted(name for names in outcome.sent.values() for name in names)
            story.say(f"disclosed: {', '.join(sent)}; not sent: name, birth date, address")
            story.expect(set(sent) == set(HOUSING_CLAIMS), f"sent {sent}")
            story.fact(disclosed=sent)

        with story.step("decision", "The desk decides: eligible, with a signed receipt"):
            story.expect(outcome.receipt is not None, "no receipt")
            assert outcome.receipt is not None
            story.say(f"decision: {outcome.receipt.decision} (policy {outcome.receipt.policy})")
            story.say("receipt signed by the desk's DID key, verified and kept in the history")
            story.expect(
                outcome.receipt.decision == "eligible",
                f"not eligible [{outcome.receipt.failed_step}]",
            )
            story.fact(decision=outcome.receipt.decision)

        with story.step("refusal", "A desk asking for the address is refused by the wallet"):
            rogue_url = start_rogue_desk(services, root, ledger_url, ledger.vkey, policy)
            with HttpClient(rogue_url) as rogue:
                asked_more = rogue.post_json("/requests", json={"policy": "housing-and-address"})
            plan = wallet.prepare(asked_more["link"])
            asked = sorted({c.name for q in plan.queries for c in q.options[0].claims})
            story.say(f"the same desk asks for: {', '.join(asked)}")
            story.say(f"the ledger says it may not ask for: {', '.join(plan.not_allowed())}")
            code = refusal_code(lambda: wallet.present(plan))
            story.say(f"wallet sends nothing [{code}]")
            story.expect(code == "wallet_claim_not_allowed", f"wallet answered {code}")
            story.fact(refused=code)

        insider = copy_ledger(root)  # an insider copies the store and its key, for later
        with story.step("revoke", "The agency revokes the credential"):
            found = staff.get_json("/staff/credentials", params={"record": RECORD})
            issued = found["credentials"][0]
            staff.post_json(f"/staff/credentials/{issued['id']}/revoke")
            published = staff.post_json("/staff/publish")
            story.say(f"POST /staff/credentials/{issued['id'][:8]}…/revoke, then /staff/publish")
            story.say(f"status list token published on the ledger: {summary(published)}")
            trust.checkpoint()
            tell_cosignatures(story, client)

        with story.step("again", "The desk asks again: the wallet says the card is revoked"):
            created = desk_http.post_json("/requests", json={"policy": HOUSING})
            code = refusal_code(lambda: wallet.prepare(created["link"]))
            story.say(f"revoked, read from the status list on the ledger [{code}]")
            story.say("nothing sent; the request is left unfetched; the agency never learns")
            story.expect(code == "wallet_credential_revoked", f"wallet answered {code}")
            story.fact(refused=code)

        # Public rules: a pass issued by a rule on the ledger; a voucher redeemed once.
        demo_rules.run(story, services, root, ledger=ledger, ledger_url=ledger_url,
                       trust=trust, policy=policy, desk=desk, staff=staff)  # fmt: skip

        # Federation: another country's desk pins this ledger by its trust policy.
        demo_federation.run(story, services, root, ledger=ledger, ledger_url=ledger_url,
                            policy=policy, staff=staff, trust=trust)  # fmt: skip

        with story.step("audit", "Anyone audits the ledger, knowing only its URL and key"):
            from ledger.monitor import TRUST_FILE, monitor

            mirror = root / "monitor"
            watcher = LedgerClient(ledger_url, ledger.vkey, trust_file=mirror / TRUST_FILE)
            try:
                report = monitor(watcher, mirror)
            finally:
                watcher.close()
            story.say(f"GET /checkpoint, then {report.fetched} entries mirrored over HTTP")
            story.say(
                "replayed: every hash, signature, rule and the signed state map root "
                f"({report.seconds * 1000:.0f} ms)"
            )
            story.expect(report.audit.checkpoint_verified, "the monitor did not verify")
            story.fact(entries=report.audit.size, fetched=report.fetched)

        with story.step(
            "split", "A copy of the ledger under the same key shows another history: caught"
        ):
            split_view(story, services, insider, client, policy, witnesses, wallet.settings)


def short(did: str) -> str:
    return did[:22] + "…" if len(did) > 24 else did


def summary(published: Any) -> str:
    if isinstance(published, dict):
        lists = published.get("published") or published.get("lists") or []
        if isinstance(lists, list) and lists:
            first = lists[0]
            if isinstance(first, dict):
                return str(first.get("uri", first))
    return "done"


def refusal_code(action: Any) -> str:
    try:
        action()
    except Error as exc:
        return exc.code
    return "accepted"


def start_parts(
    services: ExitStack, issuer_settings: Any, verifier_settings: Any
) -> tuple[str, str]:
    from issuer.app import create_app as issuer_app
    from verifier.app import create_app as verifier_app

    issuer_url = services.enter_context(
        serving(issuer_app(issuer_settings), issuer_settings.port, settings=issuer_settings)
    )
    verifier_url = services.enter_context(
        serving(verifier_app(verifier_settings), verifier_settings.port, settings=verifier_settings)
    )
    return issuer_url, verifier_url


def start_rogue_desk(
    services: ExitStack, root: Path, ledger_url: str, vkey: str, witness_policy: Path
) -> str:
    """The same desk running software that skips the accreditation check at load: it asks
    for the address as well, which its accreditation does not allow."""
    from verifier.app import create_app as verifier_app
    from verifier.service import Verifier
    from verifier.settings import VerifierSettings

    policies = root / stack.STATE_DIR / "over-asking"
    policies.mkdir(parents=True, exist_ok=True)
    (policies / "housing-and-address.toml").write_text(
        'title = "Housing benefit, and the address"\n'
        'purpose = "Check residence and age, and keep the address on file"\n'
        'credential_types = ["https://civicid.example/vct/national-id"]\n'
        'required_claims = ["resident", "address"]\n',
        "utf-8",
    )
    port = free_port()
    settings = VerifierSettings.load(
        root, ledger_url=ledger_url, checkpoint_key=vkey, port=port,
        public_url=f"http://127.0.0.1:{port}", policies_dir=policies, desk=stack.DESK,
        witness_policy=witness_policy,
    )  # fmt: skip
    verifier = Verifier.open(settings, check_accreditation=False)
    services.callback(verifier.close)
    app = verifier_app(settings, verifier=verifier)
    return services.enter_context(serving(app, port, settings=settings))


def open_wallet(root: Path, ledger_url: str, vkey: str, witness_policy: Path) -> Any:
    """The citizen's own wallet, in its own data directory, with a one-off passphrase."""
    from contextlib import closing

    from wallet.holder.wallet import Wallet
    from wallet.settings import WalletSettings

    settings = WalletSettings(
        data_dir=root / "citizen",
        ledger_url=ledger_url,
        ledger_key=vkey,
        witness_policy=witness_policy,
    )
    return closing(Wallet.create(settings, secrets.token_urlsafe(16)))


def tell_cosignatures(story: Story, client: LedgerClient) -> None:
    """The cosignature lines on the checkpoint the client just accepted, and who they are."""
    from civicid.cosignature import split_cosigned

    witnessed, note = client.witnessed, client.trusted_note
    assert witnessed is not None and note is not None
    for line in split_cosigned(note).cosignature_lines:
        story.say(f"  {line.rstrip()[:60]}…")
    story.say(f"accepted: {witnessed.describe()}")


def copy_ledger(root: Path) -> Path:
    """The ledger's store and keys as they stand, in ``<root>/insider`` (nothing is running
    a write meanwhile: every step before has its answer)."""
    import shutil

    copy = root / "insider"
    shutil.copytree(root / "ledger", copy / "ledger")
    shutil.copytree(root / "keys", copy / "keys")
    return copy


def split_view(
    story: Story,
    services: ExitStack,
    insider: Path,
    client: LedgerClient,
    policy: Path,
    witnesses: list[stack.WitnessUp],
    wallet_settings: Any,
) -> None:
    """The copy, taken before the revocation, grows its own history to the same size (a
    fake agency instead of the revocation), signed with the genuine key; it asks the
    witnesses to cosign it, and shows itself to a fresh wallet."""
    from civicid.identity import Identity
    from civicid.tlog_policy import TlogPolicy
    from ledger.app import create_app
    from ledger.settings import LedgerSettings
    from ledger.setup import Paths, load_governance, open_ledger
    from ledger.witnessing import Witnessing

    copy = open_ledger(insider)
    services.callback(copy.close)
    governance, origin = load_governance(Paths(insider)), client.origin
    assert client.trusted is not None
    while copy.signed.size < client.trusted.size:
        fake = Identity.create()
        endorsement = governance.endorse(fake.did, "agency", ledger=origin)
        copy.submit(fake.create_tx(role="agency", endorsement=endorsement, ledger=origin))
    story.say(f"the copy signs size {copy.signed.size} with the ledger's key, another root")
    asking = Witnessing(copy, TlogPolicy.parse(policy.read_bytes()), interval=3600)
    with quiet("ledger.witnessing", "civicid.witness"):  # the story tells what they log
        asking.start()
        try:
            wait_for(lambda: all(f.conflict for f in asking.followers))
        finally:
            asking.close()
    refusals = [str(f.conflict) for f in asking.followers if f.conflict]
    story.expect(len(refusals) == len(witnesses), f"witnesses answered {refusals}")
    story.say(f"witnesses refuse to cosign it: {refusals[0]}")
    with HttpClient(witnesses[0].url) as witness:
        evidence = witness.get_json("/evidence")["evidence"]
    story.expect(bool(evidence), "the witness kept no evidence")
    story.say(f"{witnesses[0].name} keeps both signed notes as evidence ({evidence[-1]['kind']})")
    settings = LedgerSettings(data_dir=insider, port=0)
    url = services.enter_context(serving(create_app(settings, ledger=copy), 0, settings=settings))
    fresh = Trust(LedgerClient(url, client.vkey, policy=wallet_settings.checkpoint_policy()))
    services.callback(fresh.close)
    refused: Error | None = None
    try:
        fresh.checkpoint()
    except Error as exc:
        refused = exc
    story.expect(
        refused is not None and CHECKPOINT_QUORUM_MISSING.matches(refused),
        f"the wallet answered {refused}",
    )
    assert refused is not None
    story.say(f"a fresh wallet shown the copy refuses it [{refused.code}]: {refused.message}")
    story.fact(witnessRefusal=refusals, walletRefusal=refused.code, evidence=evidence[-1]["kind"])


def wait_for(probe: Any, timeout: float = 15.0) -> Any:
    """Poll ``probe`` until it answers something (the witnesses answer in milliseconds);
    what it last answered."""
    import time

    deadline = time.monotonic() + timeout
    while not (found := probe()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return found


@contextmanager
def quiet(*names: str) -> Iterator[None]:
    """Loggers ``names`` say nothing below CRITICAL inside (their story is told instead)."""
    import logging

    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)

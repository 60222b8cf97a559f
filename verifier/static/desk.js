// The desk's page: start a request for a policy, show its QR code and link, poll for the
// decision and show it. Plain DOM; no external code.
"use strict";

(function () {
  const POLL_MS = 1000;
  const $ = (id) => document.getElementById(id);
  // The request's heading as served, shown again with each new code (an expired one is
  // headed as such).
  const SCAN_TITLE = $("request-title").textContent;

  // People words for what the desk's service names on the wire: claims by their label
  // ("Age 18 or over", not age_equal_or_over.18), conditions as "Resident must be yes",
  // "Age 18 or over". The page does not make them: the service sends them per policy, in the
  // kernel's words (civicid.words), which the wallet shows too.
  const own = (map, key) => Object.prototype.hasOwnProperty.call(map, key);

  function wordsOf(policy) {
    const data = $("asks-data");
    if (!data) return {};
    const item = data.content.querySelector('[data-name="' + CSS.escape(policy) + '"]');
    return item ? JSON.parse(item.dataset.words || "{}") : {};
  }

  function claimWords(name, policy) {
    const claims = wordsOf(policy).claims || {};
    return own(claims, name) ? claims[name] : String(name);
  }

  function claimsWords(names, policy) {
    return names.map((name) => claimWords(name, policy)).join(", ");
  }

  // A policy's conditions as a decision describes them ("resident: yes; age is at least
  // 18"), each in words; one the policy does not know (changed since) as sent.
  function conditionsWords(text, policy) {
    const conditions = wordsOf(policy).conditions || {};
    return text.split("; ").map((one) => (own(conditions, one) ? conditions[one] : one))
      .join("; ");
  }

  // A step's detail in words where it names claims or conditions; else as sent.
  function detailWords(step, policy) {
    const detail = step.detail || "";
    if (step.step === "claims") {
      const m = detail.match(/^(\S+) was not disclosed$/);
      if (m) return claimWords(m[1], policy) + " was not shared";
      return step.status === "passed" ? claimsWords(detail.split(", "), policy) : detail;
    }
    if (step.step === "predicates") {
      const m = detail.match(/^not met: (.*)$/);
      return m ? "not met: " + conditionsWords(m[1], policy) : conditionsWords(detail, policy);
    }
    return detail;
  }

  let timer = null;
  let current = null;
  // " (the code expires at 10:42:07)" while a code shows: said with every status about it,
  // so that copying the link or the wallet opening it does not hide how long it is good for.
  let until = "";

  function show(id, visible) {
    $(id).hidden = !visible;
  }

  function text(id, value) {
    $(id).textContent = value;
  }

  function askedBy(name) {
    const data = $("asks-data");
    if (!data) return [];
    const item = data.content.querySelector('[data-name="' + CSS.escape(name) + '"]');
    return item ? JSON.parse(item.dataset.claims || "[]") : [];
  }

  function asksFor(name) {
    return claimsWords(askedBy(name), name);
  }

  // Claims received, in the order the policy asks for them (as "Asks for" lists them).
  function inAskedOrder(names, policy) {
    const asked = askedBy(policy);
    const rank = (name) => (asked.indexOf(name) < 0 ? asked.length : asked.indexOf(name));
    return names.map((name, i) => [rank(name), i, name])
      .sort((a, b) => a[0] - b[0] || a[1] - b[1])
      .map((entry) => entry[2]);
  }

  function describePolicy() {
    const select = $("policy");
    const option = select.options[select.selectedIndex];
    text("purpose", option.dataset.purpose || "");
    text("asks", asksFor(select.value));
  }

  function stopPolling() {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
  }

  // While a code shows or a decision does, the one way on is "New check" / "Start a new
  // check": the policy it was made for stays in view, but cannot be changed under it (the
  // code would still ask for the other) or asked again from here.
  function choosing(allowed) {
    $("go").hidden = !allowed;
    $("policy").disabled = !allowed;
  }

  // The code and link of the request shown: gone once it is over (expired, replaced, or
  // its making failed), so that nobody scans a code that can no longer be answered.
  function forgetCode() {
    text("request-title", SCAN_TITLE);
    $("qr").removeAttribute("src");
    $("qr").alt = "";
    text("link", "");
    show("code", false);
  }

  function reset() {
    stopPolling();
    current = null;
    forgetCode();
    show("request", false);
    show("result", false);
    show("start-error", false);
    $("cancel").textContent = "New check";
    choosing(true);
    $("go").disabled = false;
    $("policy").focus();
  }

  async function start(event) {
    event.preventDefault();
    stopPolling();
    current = null;
    forgetCode();
    show("request", false);
    show("result", false);
    show("start-error", false);
    $("go").disabled = true;
    $("policy").disabled = true;
    try {
      const answer = await fetch("/requests", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ policy: $("policy").value }),
      });
      const data = await answer.json();
      if (!answer.ok) throw new Error(data.error_description || data.error);
      current = data;
      $("qr").src = data.qr;
      $("qr").alt = "QR code of the request link for " + data.title;
      text("link", data.link);
      until = " (the code expires at " + new Date(data.expires_at).toLocaleTimeString() + ")";
      text("status", "Waiting for the wallet…" + until);
      show("code", true);
      show("request", true);
      choosing(false);
      $("request-title").scrollIntoView({ block: "start" });
      $("copy").focus();
      poll();
    } catch (error) {
      // Said beside the button that failed, with no code shown: there is none to scan.
      // A refusal that says when to try again (the desk's bound on requests) is not told
      // "Try again." once more after it.
      const why = String(error.message).replace(/[.\s]+$/, "");
      const again = /try again/i.test(why) ? "." : ". Try again.";
      text("start-error", "Could not create the request: " + why + again);
      show("start-error", true);
      choosing(true);
      $("go").disabled = false; // before the focus: a disabled button takes none
      $("go").focus();
    } finally {
      $("go").disabled = false;
    }
  }

  async function poll() {
    if (current === null) return;
    try {
      const answer = await fetch(current.status_url, { cache: "no-store" });
      const data = await answer.json();
      if (!answer.ok) throw new Error(data.error_description || data.error);
      if (data.status === "decided") {
        decide(data.decision);
        return;
      }
      if (data.status === "expired") {
        stopPolling();
        forgetCode();
        // No code is left to scan: the heading says what became of it.
        text("request-title", "2. The code expired");
        text("status", "The code expired before the wallet answered: it can no longer be " +
          "used. Start a new check to show a new code.");
        $("cancel").textContent = "Start a new check";
        $("cancel").focus();
        return;
      }
      if (data.status === "fetched" || data.status === "checking") {
        text("status",
          "The wallet opened the request; the citizen is deciding what to share…" + until);
      }
    } catch (error) {
      text("status", "Lost contact with the desk service; retrying… (" + error.message + ")");
    }
    timer = setTimeout(poll, POLL_MS);
  }

  // Which condition was not met, or which claim was not shared: what the clerk tells the
  // citizen, said in the reason itself rather than only in "Every check".
  function whatWasMissing(failed, policy) {
    if (!failed || (failed.step !== "predicates" && failed.step !== "claims")) return "";
    const said = detailWords(failed, policy);
    return said ? " " + said[0].toUpperCase() + said.slice(1) + "." : "";
  }

  function decide(decision) {
    stopPolling();
    show("request", false);
    const verdict = $("verdict");
    verdict.className = "verdict " + (decision.eligible ? "yes" : "no");
    verdict.textContent = decision.eligible ? "Eligible" : "Not eligible";
    const failed = decision.steps.find((step) => step.status === "failed");
    const nothing = !decision.eligible && decision.code === "response_error";
    if (nothing) {
      // The wallet answered with an error (OpenID4VP §8.5) and sent nothing: no check ran,
      // so this is no decision on the citizen. "access_denied" is a wallet's answer both
      // when its holder declined and when it holds no card that answers: it does not say
      // which, and neither does the page.
      verdict.className = "verdict none";
      verdict.textContent = "Nothing was shared";
      const said = failed && failed.detail ? failed.detail : "";
      text("reason", /access_denied$/.test(said)
        ? "The wallet answered that it will send nothing: the citizen declined, or holds no " +
          "card this check accepts. Start a new check if they want to try again."
        : "The wallet refused the request and sent nothing (" + said + "). Start a new " +
          "check to try again.");
    } else {
      text("reason", decision.eligible
        ? "Every check passed for " + (current ? current.title : decision.policy) + "."
        // A check's title names what it wants ("Not revoked or suspended"): said as the
        // check that failed, so it is not read as the finding.
        : decision.reason + whatWasMissing(failed, decision.policy) + " (failed check: \u201c" +
          (failed ? failed.title : decision.failed_step) + "\u201d, code " + decision.code + ")");
    }
    text("received", decision.received_claims.length
      ? "Claims received: " +
        claimsWords(inAskedOrder(decision.received_claims, decision.policy), decision.policy)
      : "No claim was received.");
    // "Nothing was shared" already says no claim came: not said twice.
    show("received", !nothing);
    const steps = $("steps");
    steps.replaceChildren();
    for (const step of decision.steps) {
      const item = document.createElement("li");
      // The wallet's answer that it sends nothing is no check that failed on the citizen:
      // told as the wallet's answer, not in the failure's red.
      const answered = nothing && step.status === "failed";
      item.className = answered ? "skipped" : step.status;
      const mark = answered ? "The wallet's answer"
        : { passed: "Passed", failed: "Failed", skipped: "Not run" }[step.status];
      const detail = detailWords(step, decision.policy);
      item.textContent = mark + ": " + step.title + (step.code ? " [" + step.code + "]" : "") +
        (detail ? " — " + detail : "");
      steps.appendChild(item);
    }
    choosing(false);
    show("result", true);
    $("result-title").focus();
  }

  // The clipboard is there only for pages a browser deems secure (https, or loopback): on
  // a desk served over plain http, or when copying is refused, the link is selected
  // instead, for Ctrl+C.
  function selectLink(why) {
    window.getSelection().selectAllChildren($("link"));
    text("status", why + " The link is selected: press Ctrl+C to copy it. " +
      "Waiting for the wallet…" + until);
  }

  function copy() {
    if (current === null) return;
    if (!navigator.clipboard) {
      selectLink("This browser does not let the page copy here.");
      return;
    }
    navigator.clipboard.writeText(current.link).then(
      () => text("status", "Link copied. Waiting for the wallet…" + until),
      () => selectLink("Copying was refused."),
    );
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = $("start");
    if (!form) return;
    form.addEventListener("submit", start);
    $("policy").addEventListener("change", describePolicy);
    $("copy").addEventListener("click", copy);
    $("cancel").addEventListener("click", reset);
    $("again").addEventListener("click", reset);
    describePolicy();
  });
})();

// The desk's page: start a request for a policy, show its QR code and link, poll for the
// decision and show it. Plain DOM; no external code.
"use strict";

(function () {
  const POLL_MS = 1000;
  const $ = (id) => document.getElementById(id);

  // People words for what the desk's service names on the wire: claims by their label
  // ("Age 18 or over", not age_equal_or_over.18), conditions each as "claim: what it must
  // be" ("Resident: yes", "Age: 18 or over"), decisions as "Not eligible". The wallet shows
  // the same words for claims and decisions.
  const AGE_OVER = "age_equal_or_over";
  const NAMED = {
    age_equal_or_over: "Age",
    birthdate: "Date of birth",
    given_name: "Given name",
    family_name: "Family name",
    street_address: "Street",
    locality: "Town",
    postal_code: "Postcode",
  };

  function fromName(key) {
    if (Object.prototype.hasOwnProperty.call(NAMED, key)) return NAMED[key];
    const words = key.replace(/[_-]/g, " ").trim();
    return words ? words[0].toUpperCase() + words.slice(1) : key;
  }

  function claimWords(name) {
    const parts = String(name).split(".");
    if (parts.length === 2 && parts[0] === AGE_OVER && /^\d+$/.test(parts[1])) {
      return "Age " + parts[1] + " or over";
    }
    return parts.map(fromName).join(" · ");
  }

  function claimsWords(names) {
    return names.map(claimWords).join(", ");
  }

  function valueWords(text) {
    const value = { True: "yes", False: "no", true: "yes", false: "no" }[text];
    return value !== undefined ? value : text.replace(/^'(.*)'$/, "$1");
  }

  // One condition of a policy, as the service describes it ("resident is True"), in words:
  // every kind said the one way, the claim then what it must be.
  function conditionWords(text) {
    let m = text.match(/^age is at least (\d+)$/);
    if (m) return "Age: " + m[1] + " or over";
    m = text.match(/^(\S+) is one of \[(.*)\]$/);
    if (m) return claimWords(m[1]) + ": one of " + m[2].replace(/'/g, "");
    m = text.match(/^(\S+) is a date in the future$/);
    if (m) return claimWords(m[1]) + ": a date still to come";
    m = text.match(/^(\S+) is (.+)$/);
    if (m) return claimWords(m[1]) + ": " + valueWords(m[2]);
    return text;
  }

  function conditionsWords(text) {
    return text.split("; ").map(conditionWords).join("; ");
  }

  // A step's detail in words where it names claims or conditions; else as sent.
  function detailWords(step) {
    const detail = step.detail || "";
    if (step.step === "claims") {
      const m = detail.match(/^(\S+) was not disclosed$/);
      if (m) return claimWords(m[1]) + " was not shared";
      return step.status === "passed" ? claimsWords(detail.split(", ")) : detail;
    }
    if (step.step === "predicates") {
      const m = detail.match(/^not met: (.*)$/);
      return m ? "not met: " + conditionsWords(m[1]) : conditionsWords(detail);
    }
    return detail;
  }

  let timer = null;
  let current = null;

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
    return claimsWords(askedBy(name));
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

  // While a decision shows, the one way on is "Start a new check": the policy it was made
  // for stays in view, but cannot be changed under it or asked again from here.
  function choosing(allowed) {
    $("go").hidden = !allowed;
    $("policy").disabled = !allowed;
  }

  function reset() {
    stopPolling();
    current = null;
    show("request", false);
    show("result", false);
    choosing(true);
    $("go").disabled = false;
    $("policy").focus();
  }

  async function start(event) {
    event.preventDefault();
    stopPolling();
    show("result", false);
    $("go").disabled = true;
    text("status", "Creating the request…");
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
      text("status", "Waiting for the wallet… (the code expires at " +
        new Date(data.expires_at).toLocaleTimeString() + ")");
      show("request", true);
      $("request-title").scrollIntoView({ block: "start" });
      $("copy").focus();
      poll();
    } catch (error) {
      text("status", "Could not create the request: " + error.message);
      show("request", true);
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
        text("status", "The code expired before the wallet answered. Start a new check.");
        return;
      }
      if (data.status === "fetched" || data.status === "checking") {
        text("status", "The wallet opened the request; the citizen is deciding what to share…");
      }
    } catch (error) {
      text("status", "Lost contact with the desk service; retrying… (" + error.message + ")");
    }
    timer = setTimeout(poll, POLL_MS);
  }

  function decide(decision) {
    stopPolling();
    show("request", false);
    const verdict = $("verdict");
    verdict.className = "verdict " + (decision.eligible ? "yes" : "no");
    verdict.textContent = decision.eligible ? "Eligible" : "Not eligible";
    const failed = decision.steps.find((step) => step.status === "failed");
    text("reason", decision.eligible
      ? "Every check passed for " + (current ? current.title : decision.policy) + "."
      // A check's title names what it wants ("Not revoked or suspended"): said as the
      // check that failed, so it is not read as the finding.
      : decision.reason + " (failed check: \u201c" +
        (failed ? failed.title : decision.failed_step) + "\u201d, code " + decision.code + ")");
    text("received", decision.received_claims.length
      ? "Claims received: " + claimsWords(inAskedOrder(decision.received_claims, decision.policy))
      : "No claim was received.");
    const steps = $("steps");
    steps.replaceChildren();
    for (const step of decision.steps) {
      const item = document.createElement("li");
      item.className = step.status;
      const mark = { passed: "Passed", failed: "Failed", skipped: "Not run" }[step.status];
      const detail = detailWords(step);
      item.textContent = mark + ": " + step.title + (step.code ? " [" + step.code + "]" : "") +
        (detail ? " — " + detail : "");
      steps.appendChild(item);
    }
    choosing(false);
    show("result", true);
    $("result-title").focus();
  }

  function copy() {
    if (current === null) return;
    navigator.clipboard.writeText(current.link).then(
      () => text("status", "Link copied. Waiting for the wallet…"),
      () => text("status", "Copy failed; select the link text instead."),
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

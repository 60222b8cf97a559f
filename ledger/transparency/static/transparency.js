// "Check a record": fetch an entry, its inclusion proof and the latest checkpoint from this
// ledger, and check them here, in the reader's browser, with Web Crypto: the checkpoint's
// Ed25519 signature (C2SP signed note), the entry's leaf hash and its inclusion proof
// (RFC 9162 §2.1.1 and §2.1.3.2). Nothing is fetched from anywhere but this ledger, and
// whatever it sends is shown as text, never as markup.
"use strict";

(function () {
  const MAX_PROOF = 65; // RFC 9162: a proof in a tree of at most 2^64 entries
  const enc = new TextEncoder();

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // A count as the page's own counts read: grouped in thousands ("131,072").
  function count(n) {
    return n.toLocaleString("en");
  }

  function hex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function fromHex(text) {
    if (!/^[0-9a-f]{64}$/.test(text)) throw new Error("not a 64-character hex hash");
    const out = new Uint8Array(32);
    for (let i = 0; i < 32; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
    return out;
  }

  function fromB64(text) {
    const raw = atob(text);
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }

  function fromB64url(text) {
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    return fromB64(b64 + "===".slice((b64.length + 3) % 4));
  }

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }

  function same(a, b) {
    return a.length === b.length && a.every((v, i) => v === b[i]);
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }

  // RFC 9162 §2.1.1: a leaf is hashed with a 0x00 prefix, an interior node with 0x01.
  const leafHash = (data) => sha256(concat(Uint8Array.of(0), data));
  const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

  // RFC 9162 §2.1.3.2: verify an inclusion proof; the root it computes, or null.
  async function rootFromInclusion(index, size, leaf, path) {
    let fn = BigInt(index), sn = BigInt(size) - 1n, r = leaf;
    if (fn > sn || path.length > MAX_PROOF) return null;
    for (const p of path) {
      if (sn === 0n) return null;
      if ((fn & 1n) === 1n || fn === sn) {
        r = await nodeHash(p, r);
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      } else {
        r = await nodeHash(r, p);
      }
      fn >>= 1n; sn >>= 1n;
    }
    return sn === 0n ? r : null;
  }

  // C2SP signed-note: a vkey is "<name>+<key id hex>+<base64(0x01 || Ed25519 key)>".
  function parseVkey(vkey) {
    // The name has no "+"; the base64 key may.
    const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(vkey);
    if (!m) throw new Error("the checkpoint key is malformed");
    const raw = fromB64(m[3]);
    if (raw.length !== 33 || raw[0] !== 1) throw new Error("the checkpoint key is not Ed25519");
    return { name: m[1], id: m[2], key: raw.slice(1) };
  }

  function parseNote(note) {
    const cut = note.indexOf("\n\n");
    if (cut < 0) throw new Error("the checkpoint is not a signed note");
    const text = note.slice(0, cut + 1);
    const lines = text.slice(0, -1).split("\n");
    if (lines.length < 3 || !/^(0|[1-9][0-9]{0,19})$/.test(lines[1])) {
      throw new Error("the checkpoint's text is malformed");
    }
    const signatures = note.slice(cut + 2).split("\n").filter((l) => l).map((line) => {
      const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
      if (!m) throw new Error("a signature line of the checkpoint is malformed");
      return { name: m[1], blob: fromB64(m[2]) };
    });
    return { text, origin: lines[0], size: BigInt(lines[1]), root: fromB64(lines[2]), signatures };
  }

  async function ed25519Supported() {
    try {
      await crypto.subtle.importKey("raw", new Uint8Array(32), { name: "Ed25519" }, false, ["verify"]);
      return true;
    } catch (e) {
      return false;
    }
  }

  // The signature of the ledger's key on the note text: the key id (the first 4 bytes of
  // SHA-256(name || "\n" || 0x01 || key)) must match, then the Ed25519 signature.
  async function checkSignature(note, vkey) {
    const signer = parseVkey(vkey);
    const id = (await sha256(concat(enc.encode(signer.name + "\n"), Uint8Array.of(1), signer.key))).slice(0, 4);
    const line = note.signatures.find((s) => s.name === signer.name && s.blob.length === 68 && same(s.blob.slice(0, 4), id));
    if (!line) return { ok: false, why: "no signature by the ledger's key" };
    const key = await crypto.subtle.importKey("raw", signer.key, { name: "Ed25519" }, false, ["verify"]);
    const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, line.blob.slice(4), enc.encode(note.text));
    return { ok, why: ok ? "" : "the signature does not verify" };
  }

  // C2SP tlog-cosignature: a witness's key is "<name>+<key id>+base64(0x04 || Ed25519 key)";
  // its line is key id (4) || timestamp (8, big-endian) || signature (64) over
  // "cosignature/v1\ntime <timestamp>\n" followed by the checkpoint's text.
  async function checkCosignature(note, vkey) {
    const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(vkey);
    const raw = m ? fromB64(m[3]) : new Uint8Array(0);
    if (!m || raw.length !== 33 || raw[0] !== 4) {
      return { state: "bad", text: "A witness key on this page is malformed." };
    }
    const name = m[1], key = raw.slice(1);
    const id = (await sha256(concat(enc.encode(name + "\n"), Uint8Array.of(4), key))).slice(0, 4);
    const line = note.signatures.find((s) => s.name === name && s.blob.length === 76 && same(s.blob.slice(0, 4), id));
    if (!line) return { state: "not", text: `Witness ${name} has not cosigned this checkpoint.` };
    let stamp = 0n;
    for (const byte of line.blob.slice(4, 12)) stamp = (stamp << 8n) | BigInt(byte);
    const message = enc.encode(`cosignature/v1\ntime ${stamp}\n${note.text}`);
    const imported = await crypto.subtle.importKey("raw", key, { name: "Ed25519" }, false, ["verify"]);
    const ok = await crypto.subtle.verify({ name: "Ed25519" }, imported, line.blob.slice(12), message);
    const when = new Date(Number(stamp) * 1000).toISOString().replace(".000Z", "Z");
    return ok
      ? { state: "ok", text: `Witness ${name} cosigned this checkpoint at ${when}: its signature checked here.` }
      : { state: "bad", text: `Witness ${name}'s cosignature does not verify.` };
  }

  async function getJSON(url) {
    const response = await fetch(url, { headers: { accept: "application/json" }, cache: "no-store" });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const why = body && typeof body.error_description === "string" ? `${body.error_description} [${body.error}]` : `HTTP ${response.status}`;
      throw new Error(why);
    }
    return body;
  }

  function describe(transaction) {
    const parts = transaction.split(".");
    if (parts.length !== 3) return null;
    try {
      const header = JSON.parse(new TextDecoder().decode(fromB64url(parts[0])));
      const payload = JSON.parse(new TextDecoder().decode(fromB64url(parts[1])));
      const signer = typeof header.kid === "string" ? header.kid.split("#")[0] : "?";
      const when = Number.isInteger(payload.iat) ? new Date(payload.iat * 1000).toISOString().replace(".000Z", "Z") : "?";
      return { type: String(payload.type), signer, when };
    } catch (e) {
      return null;
    }
  }

  function show(result, title, checks, passed) {
    result.replaceChildren();
    result.className = passed ? "passed" : "failed";
    result.append(el("h3", "verdict", title));
    const list = el("ul");
    for (const [state, text] of checks) list.append(el("li", state, text));
    result.append(list);
  }

  async function check(form, result, facts) {
    const asked = form.entry.value.trim().toLowerCase();
    const checks = [];
    const bad = (text) => { checks.push(["bad", text]); };
    const ok = (text) => { checks.push(["ok", text]); };
    const not = (text) => { checks.push(["not", text]); };
    let passed = true;
    try {
      const byHash = /^[0-9a-f]{64}$/.test(asked);
      if (!byHash && !/^(0|[1-9][0-9]{0,18})$/.test(asked)) {
        throw new Error("Give an entry number (0, 1, 2, …) or a leaf hash of 64 hexadecimal characters.");
      }
      // The entry first: one the ledger does not have is said alone, before any line about
      // the checkpoint (which would read as if something had been checked).
      const entry = await getJSON(byHash ? `/transactions/by-hash/${asked}` : `/transactions/${asked}`);
      const noteText = await (await fetch("/checkpoint", { cache: "no-store" })).text();
      const note = parseNote(noteText);
      if (note.origin !== facts.dataset.origin) {
        throw new Error("The checkpoint is for another ledger (" + note.origin + ").");
      }
      // The signature: when the browser can check Ed25519, say so; when not, say that too.
      const canVerify = await ed25519Supported();
      if (canVerify) {
        const signed = await checkSignature(note, facts.dataset.key);
        if (signed.ok) {
          ok(`The checkpoint (${count(note.size)} entries) is signed by the ledger's key, the one shown above: Ed25519 signature checked.`);
        } else {
          passed = false;
          bad(`The checkpoint's signature is not valid: ${signed.why}.`);
        }
      } else {
        not("Your browser cannot check Ed25519 signatures: the checkpoint's signature was NOT checked.");
      }
      const seq = BigInt(entry.seq);
      if (typeof entry.transaction !== "string") throw new Error("The ledger sent no entry text.");
      const computed = await leafHash(enc.encode(entry.transaction));
      if (byHash && hex(computed) !== asked) {
        passed = false;
        bad(`Entry ${seq}'s text does not hash to the leaf hash asked for: its hash is ${hex(computed)}.`);
      } else {
        ok(`Entry ${seq}'s text hashes to leaf hash ${hex(computed)} (SHA-256 with the RFC 9162 leaf prefix, computed here).`);
      }
      if (seq >= note.size) throw new Error(`Entry ${seq} is newer than the checkpoint; try again.`);
      const proof = await getJSON(`/proofs/inclusion?seq=${seq}&treeSize=${note.size}`);
      if (!Array.isArray(proof.inclusion) || BigInt(proof.treeSize) !== note.size) {
        throw new Error("The ledger sent no inclusion proof for this checkpoint.");
      }
      const path = proof.inclusion.map(fromB64);
      const root = await rootFromInclusion(seq, note.size, computed, path);
      if (root !== null && same(root, note.root)) {
        ok(`That leaf is in the tree of ${count(note.size)} entries whose root hash the checkpoint signs (inclusion proof of ${path.length} hashes, checked here).`);
      } else {
        passed = false;
        bad(`The inclusion proof does not lead from this entry to the checkpoint's root hash: the entry or the proof is not what the ledger signed.`);
      }
      const about = describe(entry.transaction);
      if (about) {
        not(`The entry is of type ${about.type}, signed by ${about.signer} at ${about.when}. Its own signature and its signer's right to write it were checked by the ledger when it was logged, not here (civicid ledger monitor re-checks every entry).`);
      }
      const cosignatures = note.signatures.filter((line) => line.blob.length === 76);
      const witnessKeys = (facts.dataset.witnessKeys || "").split(" ").filter((k) => k);
      if (witnessKeys.length && canVerify) {
        for (const vkey of witnessKeys) {
          const found = await checkCosignature(note, vkey);
          if (found.state === "bad") passed = false;
          checks.push([found.state, found.text]);
        }
      } else if (cosignatures.length) {
        not(`${cosignatures.length} witness cosignature${cosignatures.length === 1 ? "" : "s"} on the checkpoint: read, not checked here (this page names no witness keys).`);
      } else {
        not("No witness cosigned this checkpoint: that every reader sees the same log is not shown here.");
      }
      let title = `Entry ${seq} did NOT check out.`;
      if (passed) {
        title = canVerify
          ? `Entry ${seq} is in this ledger's log, as signed.`
          : `Entry ${seq} is in the tree the checkpoint describes; the checkpoint's signature was not checked.`;
      }
      show(result, title, checks, passed);
    } catch (error) {
      // What stopped the check first, then what was checked before it.
      show(result, "The check could not be completed.", [["bad", error.message], ...checks], false);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("check-form");
    const result = document.getElementById("result");
    const facts = document.getElementById("checkpoint-facts");
    if (!form || !result || !facts) return;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = document.getElementById("check-button");
      button.disabled = true;
      result.className = "";
      result.replaceChildren(el("p", "", "Checking…"));
      try {
        await check(form, result, facts);
      } finally {
        button.disabled = false;
      }
    });
  });
})();

// app.js is the voting page: it talks to the voter in worker.js and shows
// what happens. The page's address may carry, after "#", "&"-separated:
//   digest=HEX     refuse to vote unless the box's election has this digest
//   box=URL        the box, when the page is not served by it (the box must
//                  allow cross-origin requests); default: where the page is
//   keys=checked   compile the circuit here and check every curve point of
//                  the proving key (slower); the default for the page's own
//                  origin skips that, and keys from another origin are
//                  always checked.
//   helper=off     prove on one thread, without the helper worker that
//                  otherwise computes parts of each proof (for comparison)
// window.zkvoteTimings holds milliseconds since the page started loading,
// for measurements, with what loading the keys reported (keys: bytes,
// fetchMs, readMs, helper: the parts the helper computes, helperMs,
// helperError) and whether the last proof used the helper (proveHelper).
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const timings = {};
  window.zkvoteTimings = timings;

  // What each failure the voter reports means for the citizen.
  const MESSAGES = {
    digest: "This is not the election you were sent to: its digest differs from the one in your link. Do not vote here.",
    closed: "This election is closed: it no longer takes ballots.",
    passphrase: "The passphrase does not open this identity file. Check the passphrase, and that this is your identity file, and try again.",
    "identity-file": "This file is not a zkvote identity file, or it is damaged.",
    "census-file": "This file is not a census proof, or it is damaged.",
    "census-root": "Your census proof is not for this election: the election does not accept the census it comes from. Ask the registrar for a proof under this election's census.",
    "census-leaf": "This census proof belongs to another identity: you are not a member under it. Choose the census proof the registrar gave you for this identity.",
    duplicate: "You have already voted in this election. Your first ballot stands; this one was not counted.",
    stale: "A later ballot of yours is already in the box, so this one was not counted.",
    rules: "Your choices do not follow this election's rules.",
    helper: "Part of your ballot's proof, computed by a second worker of this page, failed, so nothing was sent. Vote again: this page now proves your ballot without it, which takes longer.",
    keys: "The election's keys this box serves are missing or not the ones the election names. It is not safe to vote here: try again later, or vote with the command line.",
    busy: "The ballot box is busy. Wait a moment and vote again.",
    refused: "The ballot box refused your ballot.",
    unknown: "Your ballot was sent, but the box could not say whether it kept it. Vote again in a while: if it was kept, you will be told that you have already voted.",
    receipt: "The box accepted your ballot, but its receipt does not check. Keep this message and tell the election's observers.",
    network: "The ballot box cannot be reached. Check your connection and try again.",
    load: "The voter could not start in this browser. You can vote with the command line instead.",
    missing: "Please fill in every field.",
    state: "Something went wrong on this page. Reload it and try again.",
    internal: "Something went wrong.",
  };

  const STEPS = {
    prove: "Proving your ballot in this browser (this takes a few seconds)…",
    check: "Checking the proof…",
    submit: "Sending your ballot to the box…",
    receipt: "Checking the box's receipt…",
  };

  const form = $("vote-form");
  const button = $("vote");
  let election = null;
  let keys = null; // the promise of the loaded keys
  let loadKeys = () => {}; // (re)starts loading them, once the election is open

  function setStatus(text) {
    $("status").textContent = text;
  }

  function showError(err, fallbackCode) {
    const code = (err && err.code) || fallbackCode || "internal";
    const box = $("error");
    box.dataset.code = code;
    box.textContent = MESSAGES[code] || MESSAGES.internal;
    if (err && err.message) {
      const detail = document.createElement("span");
      detail.className = "help";
      detail.textContent = "Details: " + err.message;
      box.append(" ", detail);
    }
    box.hidden = false;
    box.focus();
    setStatus("");
  }

  function clearError() {
    const box = $("error");
    box.hidden = true;
    box.textContent = "";
    delete box.dataset.code;
  }

  // The worker and its calls.
  const worker = new Worker("worker.js");
  const pending = new Map();
  let nextID = 1;
  let readyResolve, readyReject;
  const workerReady = new Promise((resolve, reject) => { readyResolve = resolve; readyReject = reject; });
  worker.onmessage = (e) => {
    const m = e.data;
    if ("ready" in m) {
      if (m.ready) readyResolve(m.ms); else readyReject(m.error);
      return;
    }
    const p = pending.get(m.id);
    if (!p) return;
    if ("progress" in m) {
      if (p.progress) p.progress(m.progress);
      return;
    }
    pending.delete(m.id);
    if ("error" in m) p.reject(m.error); else p.resolve(m.result);
  };
  worker.onerror = (e) => {
    const err = { code: "load", message: e.message || "the voter stopped" };
    readyReject(err);
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };

  // One call at a time: the voter's steps share one session.
  let queue = Promise.resolve();
  function call(op, args, progress) {
    const run = () => new Promise((resolve, reject) => {
      const id = nextID++;
      pending.set(id, { resolve, reject, progress });
      worker.postMessage({ id, op, args });
    });
    const result = queue.then(run, run);
    queue = result.catch(() => {});
    return result;
  }

  function hashParams() {
    return new URLSearchParams(location.hash.replace(/^#/, ""));
  }

  function describeRules(e) {
    if (e.maxPerOption === 1 && e.minTotal === 1 && e.maxTotal === 1) {
      return "Choose one option.";
    }
    if (e.maxPerOption === 1) {
      let s = e.maxTotal >= e.options.length ? "Choose any of the options" : "Choose up to " + e.maxTotal + " options";
      if (e.minTotal > 0) s += " (at least " + e.minTotal + ")";
      return s + ".";
    }
    const what = e.costExponent === 2 ? "the sum of the squares of your votes" : "your votes in all";
    let s = "Give each option from 0 to " + e.maxPerOption + " votes; " + what + " must come to at most " + e.maxTotal;
    if (e.minTotal > 0) s += " and at least " + e.minTotal;
    return s + ".";
  }

  function renderOptions(e) {
    const box = $("options");
    box.replaceChildren();
    const single = e.maxPerOption === 1 && e.minTotal === 1 && e.maxTotal === 1;
    e.options.forEach((name, i) => {
      const row = document.createElement("div");
      row.className = "option";
      const input = document.createElement("input");
      input.id = "option-" + i;
      input.dataset.index = String(i);
      const label = document.createElement("label");
      label.htmlFor = input.id;
      label.textContent = name;
      if (single) {
        input.type = "radio";
        input.name = "choice";
        input.value = String(i);
      } else if (e.maxPerOption === 1) {
        input.type = "checkbox";
        input.name = "choice-" + i;
      } else {
        input.type = "number";
        input.name = "choice-" + i;
        input.min = "0";
        input.max = String(e.maxPerOption);
        input.step = "1";
        input.value = "0";
        input.inputMode = "numeric";
      }
      if (input.type === "number") row.append(label, input); else row.append(input, label);
      box.append(row);
    });
    $("rules").textContent = describeRules(e);
  }

  // readVotes returns one number per option, or null.
  function readVotes() {
    const votes = [];
    for (const input of $("options").querySelectorAll("input")) {
      const i = Number(input.dataset.index);
      if (input.type === "number") {
        const v = Number(input.value);
        if (input.value.trim() === "" || !Number.isInteger(v) || v < 0) return null;
        votes[i] = v;
      } else {
        votes[i] = input.checked ? 1 : 0;
      }
    }
    return votes;
  }

  function setBusy(busy) {
    button.disabled = busy;
    form.setAttribute("aria-busy", busy ? "true" : "false");
  }

  async function start() {
    const params = hashParams();
    const want = params.get("digest") || "";
    let base;
    try {
      base = new URL(params.get("box") || ".", location.href);
      if (base.protocol !== "https:" && base.protocol !== "http:") throw new Error("not an http(s) address");
    } catch (err) {
      showError({ code: "network", message: "box=" + params.get("box") + ": " + err.message });
      return;
    }
    // Keys from another origin are always checked: a link to this page
    // naming a hostile box must not also turn the checks off.
    let mode = base.origin === location.origin ? "trusted" : "checked";
    if (params.get("keys") === "checked") mode = "checked";
    const helper = params.get("helper") !== "off";
    if (base.origin !== location.origin) {
      $("box-note").textContent = "Ballot box: " + base.origin;
      $("box-note").hidden = false;
    }
    try {
      timings.wasm = await workerReady;
      timings.wasmReady = performance.now();
      setStatus("Fetching the election…");
      election = await call("open", { base: base.href, digest: want });
    } catch (err) {
      showError(err, "load");
      if (err && err.code === "digest") $("digest-note").textContent = "The digest in your link: " + want;
      return;
    }
    $("question").textContent = election.question;
    $("digest").textContent = election.digest;
    const note = $("digest-note");
    if (want) {
      note.textContent = "This is the election your link names: its digest matches.";
      note.className = "ok";
    } else {
      note.textContent = "Before you vote, check that this digest is the one the organiser published.";
    }
    $("secret-note").hidden = !election.secret;
    renderOptions(election);
    if (election.closed) {
      showError({ code: "closed" });
      return;
    }
    button.disabled = false;
    timings.ready = performance.now();
    setStatus("Ready to vote.");
    loadKeys = () => {
      keys = call("keys", { mode, helper }).then((stats) => {
        timings.keys = stats;
        timings.keysLoaded = performance.now();
        return stats;
      });
      keys.catch(() => {}); // reported when voting
    };
    loadKeys();
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearError();
    $("receipt").hidden = true;
    const idFile = $("identity").files[0];
    const censusFile = $("census").files[0];
    const passphrase = $("passphrase").value;
    const votes = readVotes();
    if (!idFile || !censusFile || !passphrase) {
      showError({ code: "missing" });
      return;
    }
    if (!votes) {
      showError({ code: "rules", message: "every vote must be a whole number from 0 up" });
      return;
    }
    setBusy(true);
    try {
      setStatus("Fetching the election's keys…");
      try {
        await keys;
      } catch (err) {
        loadKeys(); // the next attempt fetches them again
        throw err;
      }
      setStatus("Checking your census proof…");
      await call("census", { proof: new Uint8Array(await censusFile.arrayBuffer()) });
      setStatus("Opening your identity file…");
      let t = performance.now();
      const unlocked = await call("unlock", { identity: new Uint8Array(await idFile.arrayBuffer()), passphrase });
      timings.unlock = performance.now() - t;
      timings.unlockGo = unlocked.ms;
      $("passphrase").value = "";
      setStatus(STEPS.prove);
      t = performance.now();
      const v = await call("vote", { votes }, (step) => setStatus(STEPS[step] || ""));
      timings.vote = performance.now() - t;
      timings.prove = v.proveMs;
      timings.proveHelper = v.helper;
      showReceipt(v);
    } catch (err) {
      if (err && err.code === "passphrase") {
        $("passphrase").value = "";
        $("passphrase").focus();
      }
      showError(err);
      if (err && err.code === "passphrase") $("passphrase").focus();
    } finally {
      setBusy(false);
    }
  });

  function showReceipt(v) {
    setStatus("Your ballot is in the box.");
    $("receipt-text").textContent = "Your ballot is number " + (v.position + 1) + " in the box's log, and the box's signed receipt for it checks. " +
      "Your ballot's nullifier, which shows in the public log without saying who you are, is " + v.nullifier + ".";
    const link = $("receipt-link");
    if (link.href.startsWith("blob:")) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(new Blob([v.receipt], { type: "application/octet-stream" }));
    link.download = "zkvote-receipt-" + v.nullifier.slice(0, 16) + ".receipt";
    const box = $("receipt");
    box.hidden = false;
    box.focus();
  }

  start();
})();

// worker.js runs the voter (voter.wasm, Go compiled for GOOS=js) in a Web
// Worker, so that the page stays responsive while a ballot is proven.
//
// Messages in:  {id, op, args}                     (see web/voter)
// Messages out: {ready: true, ms} | {ready: false, error}
//               {id, progress: step} | {id, result} | {id, error: {code, message}}
//
// It also offers the voter a helper: a second worker (helper.js, nested in
// this one) that computes parts of each proof on its own thread. The voter
// calls
//
//   self.zkvoteHelperCall(op, args) → Promise
//
// with the ops of web/helper ("load", "msm"), or "start", which resolves
// with {ms} once the helper runs. The first call starts the helper. The
// promise rejects with {code, message} when the helper cannot start (no
// workers inside workers, helper.wasm missing, no answer within a minute)
// or fails with an error event, and then for every later call: the voter
// proves alone. A helper that ends without a word (its worker closed
// itself) leaves its calls unsettled: the voter's timeouts end them.
"use strict";

importScripts("wasm_exec.js", "load.js");

const ready = runGoWasm("voter.wasm", "zkvoteVoter");

ready.then(
  (ms) => postMessage({ ready: true, ms }),
  (err) => postMessage({ ready: false, error: { code: "load", message: String(err && err.message || err) } }),
);

self.onmessage = async (e) => {
  const { id, op, args } = e.data;
  try {
    await ready;
    const result = await self.zkvoteVoter.call(op, args || {}, (step) => postMessage({ id, progress: step }));
    postMessage({ id, result });
  } catch (err) {
    postMessage({ id, error: errorOf(err) });
  }
};

function errorOf(err) {
  return err && err.code
    ? { code: String(err.code), message: String(err.message) }
    : { code: "internal", message: String(err && err.message || err) };
}

// HELPER_START_MS bounds the helper's start: fetching and compiling
// helper.wasm.
const HELPER_START_MS = 60000;

let helper = null; // {worker, pending, nextID, ms} while the helper runs
let helperStart = null; // the promise of helper, once asked for

function startHelper() {
  if (helperStart) return helperStart;
  helperStart = new Promise((resolve, reject) => {
    if (typeof Worker !== "function") {
      throw new Error("this browser offers no worker inside a worker");
    }
    const worker = new Worker("helper.js");
    const pending = new Map();
    const timer = setTimeout(() => stop({ code: "helper", message: "the helper did not start within " + HELPER_START_MS / 1000 + " s" }), HELPER_START_MS);
    // stop ends the helper for good: this call and every later one fail.
    const stop = (err) => {
      clearTimeout(timer);
      worker.terminate();
      helper = null;
      reject(err); // if it had not started yet; else helperStart stays resolved, see below
      helperStart = Promise.reject(err);
      helperStart.catch(() => {});
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    };
    worker.onmessage = (e) => {
      const m = e.data;
      if ("ready" in m) {
        clearTimeout(timer);
        if (!m.ready) {
          stop({ code: "helper", message: "the helper did not start: " + (m.error && m.error.message) });
          return;
        }
        helper = { worker, pending, nextID: 1, ms: m.ms };
        resolve(helper);
        return;
      }
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if ("error" in m) p.reject(m.error); else p.resolve(m.result);
    };
    worker.onerror = (e) => {
      e.preventDefault();
      stop({ code: "helper", message: "the helper stopped: " + (e.message || "helper.js failed") });
    };
  });
  helperStart.catch(() => {}); // reported to the voter through its calls
  return helperStart;
}

// post sends one call to the running helper.
function post(h, op, args) {
  return new Promise((resolve, reject) => {
    const id = h.nextID++;
    h.pending.set(id, { resolve, reject });
    // The voter makes a fresh array for each call: hand its buffer over
    // rather than copy it.
    const transfer = [];
    for (const v of Object.values(args || {})) {
      if (v instanceof Uint8Array && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) transfer.push(v.buffer);
    }
    h.worker.postMessage({ id, op, args }, transfer);
  });
}

self.zkvoteHelperCall = (op, args) => {
  if (op === "start") return startHelper().then((h) => ({ ms: h.ms }));
  // Post at once when the helper runs: the voter calls this when it
  // starts a proof, then computes for seconds without returning to this
  // worker's event loop, so a message sent from a promise's callback
  // would leave only when the proof waits for it.
  if (helper) return post(helper, op, args);
  return startHelper().then((h) => post(h, op, args));
};

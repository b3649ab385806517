// helper.js runs the helper (helper.wasm, Go compiled for GOOS=js from
// web/helper) in a second Web Worker, which the voter's worker
// (worker.js) starts: it computes parts of each proof on its own thread
// while the voter computes the rest on its.
//
// Messages in:  {id, op, args}                      (see web/helper)
// Messages out: {ready: true, ms} | {ready: false, error}
//               {id, result} | {id, error: {code, message}}
"use strict";

importScripts("wasm_exec.js", "load.js");

const ready = runGoWasm("helper.wasm", "zkvoteHelper");

ready.then(
  (ms) => postMessage({ ready: true, ms }),
  (err) => postMessage({ ready: false, error: { code: "load", message: String(err && err.message || err) } }),
);

// Calls run one after another, in the order they came: a part's bases are
// loaded before the sums that need them.
let queue = Promise.resolve();

self.onmessage = (e) => {
  const { id, op, args } = e.data;
  queue = queue.then(async () => {
    try {
      await ready;
      const result = await self.zkvoteHelper.call(op, args || {});
      // The sum is a fresh array of its own: hand its buffer over.
      const own = result instanceof Uint8Array && result.byteOffset === 0 && result.byteLength === result.buffer.byteLength;
      postMessage({ id, result }, own ? [result.buffer] : []);
    } catch (err) {
      const error = err && err.code
        ? { code: String(err.code), message: String(err.message) }
        : { code: "internal", message: String(err && err.message || err) };
      postMessage({ id, error });
    }
  });
};

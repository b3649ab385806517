// worker.js runs the voter (voter.wasm, Go compiled for GOOS=js) in a Web
// Worker, so that the page stays responsive while a ballot is proven.
//
// Messages in:  {id, op, args}                     (see web/voter)
// Messages out: {ready: true, ms} | {ready: false, error}
//               {id, progress: step} | {id, result} | {id, error: {code, message}}
"use strict";

importScripts("wasm_exec.js");

// fetchVoter fetches voter.wasm.gz and decompresses it here, falling back
// to voter.wasm where that is missing or the browser cannot decompress.
async function fetchVoter() {
  if (typeof DecompressionStream === "function") {
    const gz = await fetch("voter.wasm.gz");
    if (gz.ok && gz.body) {
      const body = gz.body.pipeThrough(new DecompressionStream("gzip"));
      return new Response(body, { headers: { "Content-Type": "application/wasm" } });
    }
  }
  const raw = await fetch("voter.wasm");
  if (!raw.ok) {
    throw new Error("voter.wasm: HTTP " + raw.status);
  }
  return raw;
}

const ready = (async () => {
  const start = performance.now();
  const go = new Go();
  const resp = await fetchVoter();
  let instance;
  if (WebAssembly.instantiateStreaming && resp.headers.get("Content-Type") === "application/wasm") {
    ({ instance } = await WebAssembly.instantiateStreaming(resp, go.importObject));
  } else {
    ({ instance } = await WebAssembly.instantiate(await resp.arrayBuffer(), go.importObject));
  }
  go.run(instance); // runs main until it waits for calls; never resolves
  if (!self.zkvoteVoter) {
    throw new Error("the voter did not start");
  }
  return performance.now() - start;
})();

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
    const error = err && err.code
      ? { code: String(err.code), message: String(err.message) }
      : { code: "internal", message: String(err && err.message || err) };
    postMessage({ id, error });
  }
};

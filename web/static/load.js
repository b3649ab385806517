// load.js starts a Go program compiled for GOOS=js (web.Build's voter.wasm
// or helper.wasm) in the worker that imports it, after wasm_exec.js.
"use strict";

// fetchWasm fetches NAME.gz and decompresses it here, falling back to
// NAME where that is missing or the browser cannot decompress.
async function fetchWasm(name) {
  if (typeof DecompressionStream === "function") {
    const gz = await fetch(name + ".gz");
    if (gz.ok && gz.body) {
      const body = gz.body.pipeThrough(new DecompressionStream("gzip"));
      return new Response(body, { headers: { "Content-Type": "application/wasm" } });
    }
  }
  const raw = await fetch(name);
  if (!raw.ok) {
    throw new Error(name + ": HTTP " + raw.status);
  }
  return raw;
}

// runGoWasm fetches, compiles and runs the Go program NAME until its main
// waits for calls, and returns the milliseconds that took. global is the
// name of the global object the program sets: it throws if the program
// did not set it.
async function runGoWasm(name, global) {
  const start = performance.now();
  const go = new Go();
  const resp = await fetchWasm(name);
  let instance;
  if (WebAssembly.instantiateStreaming && resp.headers.get("Content-Type") === "application/wasm") {
    ({ instance } = await WebAssembly.instantiateStreaming(resp, go.importObject));
  } else {
    ({ instance } = await WebAssembly.instantiate(await resp.arrayBuffer(), go.importObject));
  }
  go.run(instance); // runs main until it waits for calls; never resolves
  if (!self[global]) {
    throw new Error(name + " did not start");
  }
  return performance.now() - start;
}

// node-voter.js runs the browser voter (voter.wasm, as web.Build writes
// it) under Node.js, one vote, for BenchmarkNode: the same WebAssembly and
// the same session as in the page, single-threaded like a Web Worker,
// talking to the box with fetch. It prints one line of JSON: milliseconds,
// as the page's window.zkvoteTimings holds them.
//
//   node node-voter.js DIR '{"base":..., "digest":..., "identity":PATH,
//                            "proof":PATH, "passphrase":..., "votes":[...]}'
//
// DIR holds voter.wasm and wasm_exec.js. Start node with argv[0] not
// beginning with "node" (the benchmark names it zkvote-voter): Go's
// net/http takes a process whose argv0 starts with "node" for its own
// tests and sends requests to a fake network instead of fetch.
"use strict";

const fs = require("fs");
const path = require("path");

(async () => {
  const dir = process.argv[2];
  const cfg = JSON.parse(process.argv[3]);
  require(path.resolve(dir, "wasm_exec.js"));
  const start = performance.now();
  const go = new Go();
  const { instance } = await WebAssembly.instantiate(fs.readFileSync(path.join(dir, "voter.wasm")), go.importObject);
  go.run(instance); // runs main until it waits for calls
  const voter = globalThis.zkvoteVoter;
  const t = { wasm: performance.now() - start };
  await voter.call("open", { base: cfg.base, digest: cfg.digest });
  t.ready = performance.now() - start;
  t.keys = await voter.call("keys", { mode: cfg.mode || "trusted" });
  t.keysLoaded = performance.now() - start;
  await voter.call("census", { proof: new Uint8Array(fs.readFileSync(cfg.proof)) });
  let s = performance.now();
  await voter.call("unlock", { identity: new Uint8Array(fs.readFileSync(cfg.identity)), passphrase: cfg.passphrase });
  t.unlock = performance.now() - s;
  s = performance.now();
  const v = await voter.call("vote", { votes: cfg.votes });
  t.vote = performance.now() - s;
  t.prove = v.proveMs;
  console.log(JSON.stringify(t));
  process.exit(0);
})().catch((err) => {
  console.error("node-voter:", err && err.code ? err.code + ": " + err.message : err);
  process.exit(1);
});

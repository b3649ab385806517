// node-helper.js runs the helper (helper.wasm, as web.Build writes it)
// under Node.js for TestHelperWasm: it reads a JSON array of calls from
// stdin, [{op, args}], where args' "bases" and "scalars" are hex and
// "part" a number, makes them one after another and prints one line of
// JSON: for each call {result} (a sum as hex, or the object the op
// returned) or {error: {code, message}}.
//
//   node node-helper.js DIR < calls.json
//
// DIR holds helper.wasm and wasm_exec.js.
"use strict";

const fs = require("fs");
const path = require("path");

(async () => {
  const dir = process.argv[2];
  const calls = JSON.parse(fs.readFileSync(0, "utf8"));
  require(path.resolve(dir, "wasm_exec.js"));
  const go = new Go();
  const { instance } = await WebAssembly.instantiate(fs.readFileSync(path.join(dir, "helper.wasm")), go.importObject);
  go.run(instance); // runs main until it waits for calls
  const out = [];
  for (const { op, args } of calls) {
    const a = {};
    for (const [k, v] of Object.entries(args || {})) {
      a[k] = k === "bases" || k === "scalars" ? new Uint8Array(Buffer.from(v, "hex")) : v;
    }
    try {
      const r = await globalThis.zkvoteHelper.call(op, a);
      out.push({ result: r instanceof Uint8Array ? Buffer.from(r).toString("hex") : r });
    } catch (err) {
      out.push({ error: { code: err && err.code, message: String(err && err.message || err) } });
    }
  }
  console.log(JSON.stringify(out));
  process.exit(0);
})().catch((err) => {
  console.error("node-helper:", err);
  process.exit(1);
});

#!/usr/bin/env node
// Compiles zkvote's contracts with the solc-js version pinned in
// package-lock.json and writes one artefact (ABI and creation bytecode) per
// contract:
//
//   contracts/X.sol          -> artifacts/X.json
//   testdata/contracts/X.sol -> testdata/artifacts/X.json
//
// With --check it writes nothing and exits 1 if any artefact differs from
// the checked-in one byte for byte, or is missing or extra.
//
// Run it through scripts/solc, which installs the compiler first.
"use strict";

const fs = require("fs");
const path = require("path");
const solc = require("solc");

const root = path.resolve(__dirname, "..");
const dirs = [
  ["contracts", "artifacts"],
  ["testdata/contracts", "testdata/artifacts"],
];
// Fixed settings: any change here changes every artefact.
const settings = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "cancun",
};

function main() {
  const check = process.argv.includes("--check");
  const sources = {};
  const outOf = {};
  for (const [src, out] of dirs) {
    for (const f of fs.readdirSync(path.join(root, src)).filter((f) => f.endsWith(".sol")).sort()) {
      const name = src + "/" + f;
      sources[name] = { content: fs.readFileSync(path.join(root, name), "utf8") };
      outOf[name] = out + "/" + f.replace(/\.sol$/, ".json");
    }
  }
  const input = {
    language: "Solidity",
    sources,
    settings: Object.assign({}, settings, {
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
    }),
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  let failed = false;
  for (const e of output.errors || []) {
    process.stderr.write(e.formattedMessage + "\n");
    if (e.severity === "error") failed = true;
  }
  if (failed) process.exit(1);
  const version = solc.version().replace(/\.Emscripten.*$/, "");
  const want = {};
  for (const name of Object.keys(sources)) {
    const contracts = output.contracts[name] || {};
    const base = path.basename(name, ".sol");
    const deployable = Object.keys(contracts).filter((c) => contracts[c].evm.bytecode.object !== "");
    const pick = contracts[base] ? base : deployable.length === 1 ? deployable[0] : null;
    if (pick === null) continue; // interfaces only
    if (new RegExp("^\\s*library\\s+" + pick + "\\b", "m").test(sources[name].content)) continue;
    const art = {
      contractName: pick,
      sourceName: name,
      compiler: version,
      settings,
      abi: contracts[pick].abi,
      bytecode: "0x" + contracts[pick].evm.bytecode.object,
    };
    want[outOf[name]] = JSON.stringify(art, null, 2) + "\n";
  }
  let drift = false;
  for (const [, out] of dirs) {
    const dir = path.join(root, out);
    const have = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".json")) : [];
    for (const f of have) {
      const name = out + "/" + f;
      if (!(name in want)) {
        if (check) {
          process.stderr.write(`solc: ${name} has no source\n`);
          drift = true;
        } else {
          fs.unlinkSync(path.join(root, name));
        }
      }
    }
  }
  for (const [name, text] of Object.entries(want)) {
    const file = path.join(root, name);
    const old = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : null;
    if (old === text) continue;
    if (check) {
      process.stderr.write(`solc: ${name} differs from a fresh build with solc ${version}\n`);
      drift = true;
    } else {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
      process.stdout.write(`wrote ${name}\n`);
    }
  }
  if (drift) process.exit(1);
  if (check) process.stdout.write(`solc: ${Object.keys(want).length} artefacts match solc ${version}\n`);
}

main();

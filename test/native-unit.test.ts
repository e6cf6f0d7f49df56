// The runner's C++ unit tests (engines/native/test/native_test.cpp: kernels vs naive loops and closed forms, the
// forward pass vs a double-precision reference, thread-count independence, method edge cases, h2o eviction vs a
// naive reference, the phase timer) run as part of `npm test`; the binary is built with the runner by
// `npm run build:native`.
import test from "ava";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../engines/native/build/gem-native-test", import.meta.url));

test("native unit tests pass", (t) => {
  t.true(fs.existsSync(bin), `${bin} is missing: run npm run build:native`);
  const r = spawnSync(bin, [], { encoding: "utf8", timeout: 120_000 });
  t.is(r.status, 0, `gem-native-test failed:\n${r.stderr}\n${r.stdout}`);
  const m = /(\d+) checks, 0 failures/.exec(r.stdout);
  t.truthy(m, r.stdout);
  t.true(Number(m?.[1]) > 300, `ran ${m?.[1]} checks`);
});

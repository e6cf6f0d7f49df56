// The Hopper attention kernels' index math and a CPU emulation of their data flow
// (engines/native/test/hopper_layout_test.cpp: swizzle, wgmma descriptors and fragments against the PTX ISA's
// layouts, schedules against brute force, emulated prefill/column sums against naive attention) run in `npm test`;
// no GPU or nvcc needed. The kernels themselves run only in the GPU selftest.
import test from "ava";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../engines/native/build/gem-hopper-layout-test", import.meta.url));

test("hopper kernel layouts and emulated data flow pass", (t) => {
  t.true(fs.existsSync(bin), `${bin} is missing: run npm run build:native`);
  const r = spawnSync(bin, [], { encoding: "utf8", timeout: 300_000 });
  t.is(r.status, 0, `gem-hopper-layout-test failed:\n${r.stderr}\n${r.stdout}`);
  const m = /(\d+) checks, 0 failures/.exec(r.stdout);
  t.truthy(m, r.stdout);
  t.true(Number(m?.[1]) > 50, `ran ${m?.[1]} checks`);
});

// build/gem-hopper-gpu-test (built wherever nvcc is found) checks the Hopper attention kernels against a CPU reference
// on a compute-capability 9.0 GPU. Without one it must say so and exit 0 (2 with --require), never crash; with one,
// every check must pass. Skipped when the build had no nvcc.
import test from "ava";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../engines/native/build/gem-hopper-gpu-test", import.meta.url));
const built = fs.existsSync(bin);

(built ? test : test.skip)("hopper GPU check runs its checks on an sm_90 GPU and skips cleanly elsewhere", (t) => {
  const r = spawnSync(bin, [], { encoding: "utf8", timeout: 300_000 });
  t.is(r.status, 0, `${r.stdout}\n${r.stderr}`);
  if (r.stdout.startsWith("skipped:")) {
    const req = spawnSync(bin, ["--require"], { encoding: "utf8", timeout: 60_000 });
    t.is(req.status, 2, "--require fails without a GPU");
  } else {
    t.regex(r.stdout, /\d+ checks, 0 failures/);
  }
});

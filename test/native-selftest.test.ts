// `gem-runner selftest` (cpu): every op of the backend at awkward shapes against the cpu reference under another
// thread count (bitwise) and against naive double-precision versions; it must pass, quickly, with no skips.
import test from "ava";
import { spawnSync } from "node:child_process";
import { runnerPath } from "./helpers/native.ts";

test("gem-runner selftest --backend cpu passes every op", (t) => {
  const r = spawnSync(runnerPath, ["selftest", "--backend", "cpu"], { encoding: "utf8", timeout: 120_000 });
  t.is(r.status, 0, `selftest failed:\n${r.stdout.split("\n").filter((l) => l.startsWith("FAIL")).join("\n")}\n${r.stderr}`);
  const m = /^(\d+) passed, (\d+) failed, (\d+) skipped$/m.exec(r.stdout);
  t.truthy(m, r.stdout.slice(-500));
  t.true(Number(m?.[1]) >= 80, `ran ${m?.[1]} checks`);
  t.is(m?.[2], "0");
  t.is(m?.[3], "0", "the cpu backend supports every op");
  for (const op of ["matmul", "rmsnorm", "rope none", "rope linear", "rope llama3", "rope longrope", "swiglu", "attention decode", "attention prefill", "attn stats rawdot", "attn stats probsum", "top-k"])
    t.true(r.stdout.includes(`ok    ${op}`), `covers ${op}`);
});

test("selftest of a backend that is not built in is a usage error naming it", (t) => {
  const r = spawnSync(runnerPath, ["selftest", "--backend", "tpu"], { encoding: "utf8" });
  t.is(r.status, 2);
  t.regex(r.stderr, /backend 'tpu' is not built into this runner/);
});

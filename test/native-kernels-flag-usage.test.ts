// `--kernels` takes fast or reference; anything else is a usage error (exit 2) naming the accepted values, before any
// hello.
import test from "ava";
import { spawnSync } from "node:child_process";
import { runnerPath } from "./helpers/native.ts";

test("gem-runner --kernels with an unknown set exits 2 and names fast and reference", (t) => {
  const r = spawnSync(runnerPath, ["--kernels", "turbo"], { input: "", encoding: "utf8" });
  t.is(r.status, 2);
  t.regex(r.stderr, /--kernels expects fast or reference, got 'turbo'/);
  t.is(r.stdout, "");
});

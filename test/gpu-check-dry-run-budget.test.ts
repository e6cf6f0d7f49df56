// `scripts/gpu-check.sh --dry-run` prints one line per default step with its limit ("NNN s"), and the default steps'
// limits — plus the 2 s SIGKILL grace after each of the 10 commands run under `timeout` — add up to at most 5 minutes
// (300 s): the whole check fits one short GPU slot with the runner built beforehand.
import test from "ava";
import { spawnSync } from "node:child_process";
import { gpuCheckScript } from "./helpers/gpu-check.ts";

const defaultSteps = ["probe", "build", "selftest", "selftest-mma", "ops", "hopper", "memcheck", "racecheck", "synccheck",
                      "models", "chunked", "speed"];

test("the default steps, one line each with its limit, sum to at most 300 s", (t) => {
  const r = spawnSync("bash", [gpuCheckScript, "--dry-run"], { encoding: "utf8", timeout: 20_000 });
  t.is(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  const steps = lines.filter((l) => !l.startsWith("total"));
  t.deepEqual(steps.map((l) => l.split(/\s+/)[0]), defaultSteps);
  const limits = steps.map((l) => {
    const m = /^\S+\s+(\d{1,3}) s\s/.exec(l);
    if (!m?.[1]) throw new Error(`no "NNN s" limit in ${JSON.stringify(l)}`);
    return Number(m[1]);
  });
  t.true(limits.every((x) => x > 0));
  const sum = limits.reduce((a, b) => a + b, 0);
  t.true(sum <= 300, `the default steps' limits add up to ${sum} s`);
  // With the SIGKILL grace after each timed command's limit, still within 300 s.
  const m = new RegExp(`^total\\s+${sum} s  \\(12 steps; at most (\\d+) s with 2 s of SIGKILL grace per timed command\\)$`).exec(lines.at(-1) ?? "");
  t.truthy(m, lines.at(-1));
  t.true(Number(m?.[1]) <= 300 && Number(m?.[1]) === sum + 2 * 10, `worst case ${m?.[1]} s`);
});

test("--build's on-machine build is outside the budget and the dry run says so", (t) => {
  const r = spawnSync("bash", [gpuCheckScript, "--dry-run", "--build"], { encoding: "utf8", timeout: 20_000 });
  t.is(r.status, 0);
  t.regex(r.stdout, /^build\s+240 s\s+cmake configure \+ build here \(outside the 5-minute budget\)/m);
});

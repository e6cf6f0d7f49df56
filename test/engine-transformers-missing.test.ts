// A config with cells on the transformers engine never runs without it: no Python found (config, env, the one
// `gembench setup-transformers` recorded), a Python that does not exist, one without torch / transformers, or a torch
// without CUDA for a run on a GPU stops `gembench run` with exit 2 and the fix, before the run folder is made.
import test from "ava";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../bin/gembench.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "gembench-tf-missing-"));

function config(transformers: Record<string, unknown>): string {
  const p = join(dir, `cfg-${Math.random().toString(36).slice(2)}.json`);
  const cfg = { name: "tf-missing", models: ["synthetic:tiny-llama"], engines: [{ method: "dense", engine: ["native", "transformers"] }], suites: [{ name: "niah", options: { variant: "passkey", lengths: [200], depths: [50] } }], transformers };
  writeFileSync(p, JSON.stringify(cfg));
  return p;
}

function run(cfg: string, out: string, extra: string[] = [], configHome = join(dir, "no-user-config")) {
  const env = { ...process.env };
  delete env.GEMBENCH_TRANSFORMERS_PYTHON;
  env.XDG_CONFIG_HOME = configHome; // default: no recorded Python either
  const r = spawnSync(process.execPath, [bin, "run", cfg, "--out", out, ...extra], { encoding: "utf8", timeout: 60_000, env });
  return { code: r.status, stderr: r.stderr };
}

test("no Python found (no transformers.python, no GEMBENCH_TRANSFORMERS_PYTHON, none recorded): exit 2 with the fix, nothing written", (t) => {
  const out = join(dir, "run-none");
  const r = run(config({}), out);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /no Python for the transformers engine was found/);
  t.regex(r.stderr, /GEMBENCH_TRANSFORMERS_PYTHON/);
  t.regex(r.stderr, /gembench setup-transformers/);
  t.false(existsSync(out));
});

test("a Python that does not exist: exit 2 naming it", (t) => {
  const out = join(dir, "run-nonexistent");
  const r = run(config({ python: join(dir, "no-such-python") }), out);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /no-such-python: no such program/);
  t.false(existsSync(out));
});

test("a torch without CUDA for a run on a GPU: exit 2 before anything runs", (t) => {
  const fake = join(dir, "python-cpu-torch");
  writeFileSync(fake, `#!/bin/sh\necho '{"python": "3.11.2", "torch": "2.13.0+cpu", "transformers": "5.18.0", "cuda": false}'\n`);
  chmodSync(fake, 0o755);
  const out = join(dir, "run-cpu-torch");
  const r = run(config({ python: fake }), out, ["--devices", "0"]);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /torch 2\.13\.0\+cpu .* sees no CUDA device, but the run is on GPU 0/);
  t.false(existsSync(out));
});

test("a Python without torch: exit 2 with its own error line and the fix", (t) => {
  const fake = join(dir, "python-without-torch");
  writeFileSync(fake, `#!/bin/sh\necho "Traceback (most recent call last):" >&2\necho "ModuleNotFoundError: No module named 'torch'" >&2\nexit 1\n`);
  chmodSync(fake, 0o755);
  const out = join(dir, "run-no-torch");
  const r = run(config({ python: fake }), out);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /cannot run with .*python-without-torch \(ModuleNotFoundError: No module named 'torch'\)/);
  t.regex(r.stderr, /gembench setup-transformers/);
  t.false(existsSync(out));
});

test("without a configured Python or GEMBENCH_TRANSFORMERS_PYTHON, the one setup-transformers recorded is used", (t) => {
  const fake = join(dir, "python-recorded");
  writeFileSync(fake, `#!/bin/sh\necho '{"python": "3.11.2", "torch": "2.13.0+cpu", "transformers": "5.18.0", "cuda": false, "capabilities": {"methods": [], "methodParams": {}}}'\n`);
  chmodSync(fake, 0o755);
  const home = join(dir, "user-config");
  mkdirSync(join(home, "gembench"), { recursive: true });
  writeFileSync(join(home, "gembench", "transformers.json"), JSON.stringify({ python: fake }));
  const out = join(dir, "run-recorded");
  const r = run(config({}), out, ["--devices", "0"], home);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /python-recorded\) sees no CUDA device/);
  t.false(existsSync(out));
});

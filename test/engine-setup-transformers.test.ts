// `gembench setup-transformers` creates the venv with the given Python, installs torch, transformers and safetensors
// with the venv's pip, checks the result with server.py --check and records the venv's Python in the user config,
// where `gembench run` then finds it. A stand-in "python" (a shell script) plays venv, pip and the check, so no
// Python is needed; a failing pip stops it with exit 2 and records nothing.
import test from "ava";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../bin/gembench.js", import.meta.url));

/** A stand-in python: `-m venv DIR` copies itself to DIR/bin/python; `-m pip …` logs its arguments (and fails when
 *  FAIL_PIP is set); `server.py --check` prints versions and capabilities. */
function fakePython(dir: string): string {
  const p = join(dir, "python3");
  writeFileSync(
    p,
    `#!/bin/sh
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && exit 0; fi
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then echo "$@" >> "${join(dir, "pip.log")}"; [ -n "$FAIL_PIP" ] && exit 1; exit 0; fi
echo '{"python": "3.11.7", "torch": "2.13.0+cpu", "transformers": "5.18.0", "cuda": false, "capabilities": {"methods": ["dense"], "methodParams": {"dense": []}}}'
`,
  );
  chmodSync(p, 0o755);
  return p;
}

function setup(dir: string, extraEnv: Record<string, string> = {}) {
  const env = { ...process.env, XDG_CONFIG_HOME: join(dir, "config"), ...extraEnv };
  return spawnSync(process.execPath, [bin, "setup-transformers", "--venv", join(dir, "venv"), "--python", fakePython(dir)], { encoding: "utf8", timeout: 60_000, env });
}

test("creates the venv, installs with its pip, records its Python in the user config", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-setup-tf-"));
  const r = setup(dir);
  t.is(r.status, 0, r.stderr);
  const python = join(dir, "venv", "bin", "python");
  t.true(existsSync(python));
  t.is(readFileSync(join(dir, "pip.log"), "utf8").trim(), "-m pip install --upgrade torch transformers safetensors");
  t.deepEqual(JSON.parse(readFileSync(join(dir, "config", "gembench", "transformers.json"), "utf8")), { python });
  t.is(JSON.parse(r.stdout).python, python);
});

test("a failing pip: exit 2, nothing recorded", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-setup-tf-"));
  const r = setup(dir, { FAIL_PIP: "1" });
  t.is(r.status, 2, r.stderr);
  t.regex(r.stderr, /installing torch, transformers and safetensors failed/);
  t.false(existsSync(join(dir, "config", "gembench", "transformers.json")));
});

// An --out that cannot be a folder (a symlink loop in its path, a file in the middle of it) is a usage error: exit 2
// with a message naming the folder, the reason and --out — not raw ELOOP / ENOTDIR text with exit 1.
import test from "ava";
import { spawnSync } from "node:child_process";
import { mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../bin/gembench.js", import.meta.url));
const config = fileURLToPath(new URL("../configs/quickstart.json", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "gembench-out-"));

const run = (out: string) => spawnSync(process.execPath, [bin, "run", config, "--out", out], { encoding: "utf8", timeout: 60_000 });

test("a symlink loop and a file on the path: exit 2, naming the folder and the reason", (t) => {
  symlinkSync("loop", join(root, "loop"));
  const loop = run(join(root, "loop", "x"));
  t.is(loop.status, 2, loop.stderr);
  t.regex(loop.stderr, /cannot use .*loop\/x as the run folder \(--out\): a loop of symbolic links in the path \(ELOOP\)/);
  writeFileSync(join(root, "file"), "");
  const file = run(join(root, "file", "x"));
  t.is(file.status, 2, file.stderr);
  t.regex(file.stderr, /cannot use .*file\/x as the run folder \(--out\): a part of the path is a file, not a folder \(ENOTDIR\)/);
});

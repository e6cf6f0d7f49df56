// `--out` reused with another config: refused (exit 2) naming the difference — the cells only in either and the
// settings that differ — with config.json and the records untouched, unless --extend (then the old config is kept
// as config.1.json and the records stay); a config named "." or ".." (results/ itself, or its parent) is refused.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import test from "ava";

const bin = fileURLToPath(new URL("../bin/gembench.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "gembench-other-config-"));
const out = join(dir, "run");

const config = (k: number, name = "reuse") => ({
  name,
  models: ["synthetic:retrieval-tiny"],
  engines: [{ method: "dense" }, { method: "snapkv", params: { k } }],
  suites: [{ name: "niah", options: { variant: "passkey", lengths: [400], depths: [50] } }],
  run: { maxNewTokens: 4 },
});

function gembench(cfg: object, ...args: string[]) {
  const path = join(dir, `config-${(cfg as { name: string }).name.replace(/\./g, "dot")}.json`);
  writeFileSync(path, JSON.stringify(cfg));
  const r = spawnSync(process.execPath, [bin, "run", path, ...args], { cwd: dir, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stderr: r.stderr };
}

test.serial("a second config into the same --out: exit 2 naming the differing cells and settings; --extend makes it the run's", (t) => {
  const first = gembench(config(64), "--out", out);
  t.is(first.code, 0, first.stderr);
  const cfgBefore = readFileSync(join(out, "config.json"), "utf8");
  const recordsBefore = readFileSync(join(out, "records.jsonl"), "utf8");

  const refused = gembench(config(96), "--out", out);
  t.is(refused.code, 2, refused.stderr);
  t.regex(refused.stderr, /holds a run of another config \(1 cell\(s\) only in the folder's run: [0-9a-f]{16} \(synthetic:retrieval-tiny · niah · snapkv k=64 gqa=mean\); 1 cell\(s\) only in this config: [0-9a-f]{16} \(synthetic:retrieval-tiny · niah · snapkv k=96 gqa=mean\); settings that differ: engines\[1\]\.axes\.k\[0\]\)/);
  t.regex(refused.stderr, /--extend/);
  t.is(readFileSync(join(out, "config.json"), "utf8"), cfgBefore, "config.json untouched");
  t.is(readFileSync(join(out, "records.jsonl"), "utf8"), recordsBefore, "records untouched");
  t.false(existsSync(join(out, "config.1.json")));

  const extended = gembench(config(96), "--out", out, "--extend");
  t.is(extended.code, 0, extended.stderr);
  t.is(readFileSync(join(out, "config.1.json"), "utf8"), cfgBefore, "the old config archived");
  t.true(readFileSync(join(out, "records.jsonl"), "utf8").startsWith(recordsBefore), "the old records kept");
  t.regex(readFileSync(join(out, "config.json"), "utf8"), /"k": \[\s*96\s*\]/);
});

for (const name of [".", ".."]) {
  test(`a config named ${JSON.stringify(name)} (results/ itself or its parent as the run folder) is refused`, (t) => {
    const r = gembench(config(64, name));
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, /name: expected a name of letters, digits, '\.', '_' or '-', not only dots/);
    t.false(existsSync(join(dir, "results")));
  });
}

// config.json of a run folder: written atomically; re-running with the same resolved config leaves it untouched; a
// different one already there is kept as config.<n>.json when the run is extended (--extend; refused without it,
// test/harness-out-other-config.test.ts), a half-written, unparseable one always: never lost or fatal.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { RunStore } from "../core/results.ts";

function withStore(dir: string, fn: (s: RunStore) => void): void {
  const s = new RunStore(dir);
  try {
    fn(s);
  } finally {
    s.close();
  }
}

test("same config: unchanged (key order ignored); a different one with extend: the old kept as config.1.json", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-cfg-"));
  withStore(dir, (s) => s.writeConfig({ name: "a", run: { x: 1, y: 2 } }));
  const first = readFileSync(join(dir, "config.json"), "utf8");
  t.is(first, `${JSON.stringify({ name: "a", run: { x: 1, y: 2 } }, null, 2)}\n`);
  withStore(dir, (s) => s.writeConfig({ run: { y: 2, x: 1 }, name: "a" }));
  t.is(readFileSync(join(dir, "config.json"), "utf8"), first);
  t.false(existsSync(join(dir, "config.1.json")));
  t.throws(() => withStore(dir, (s) => s.writeConfig({ name: "b" })), { message: /holds a run of another config \(settings that differ: name, run\)/ });
  t.is(readFileSync(join(dir, "config.json"), "utf8"), first);
  withStore(dir, (s) => s.writeConfig({ name: "b" }, { extend: true }));
  t.is(readFileSync(join(dir, "config.1.json"), "utf8"), first);
  t.deepEqual(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")), { name: "b" });
  t.deepEqual(readdirSync(dir).sort(), ["config.1.json", "config.json", "gembench-run.json"]);
});

test("a half-written config.json (a kill during an old, non-atomic write) is kept aside, not fatal", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-cfg-"));
  writeFileSync(join(dir, "config.json"), '{"name": "a", "ru');
  withStore(dir, (s) => s.writeConfig({ name: "a" }));
  t.is(readFileSync(join(dir, "config.1.json"), "utf8"), '{"name": "a", "ru');
  t.deepEqual(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")), { name: "a" });
});

// One writer per run folder: a run holds results/<run>/run.lock (pid, host) while it writes records; a second run on
// the same folder is refused with a clear message while the first lives; a lock left by a killed run is taken over.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { UsageError } from "../core/errors.ts";
import { LOCK_FILE, RunStore } from "../core/results.ts";

test("a second store on a folder in use is refused, naming the holder's pid; close releases the lock", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-lock-"));
  const first = new RunStore(dir);
  t.is(readFileSync(join(dir, LOCK_FILE), "utf8"), `${process.pid} ${hostname()}\n`);
  const err = t.throws(() => new RunStore(dir), { instanceOf: UsageError });
  t.is(
    err?.message,
    `${dir} is being written by another gembench run (pid ${process.pid}); wait for it to finish or stop it (if no run is active, delete ${join(dir, LOCK_FILE)})`,
  );
  first.close();
  t.false(existsSync(join(dir, LOCK_FILE)));
  const again = new RunStore(dir);
  t.true(existsSync(join(dir, LOCK_FILE)));
  again.close();
});

test("a lock whose process is gone (a killed run) is taken over", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-lock-"));
  const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  const deadPid = Number(gone.stdout);
  t.true(Number.isInteger(deadPid) && deadPid > 0);
  writeFileSync(join(dir, LOCK_FILE), `${deadPid} ${hostname()}\n`);
  const store = new RunStore(dir);
  t.is(readFileSync(join(dir, LOCK_FILE), "utf8"), `${process.pid} ${hostname()}\n`);
  store.close();
});

test("a lock from another host is not taken over (its process cannot be checked from here)", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-lock-"));
  writeFileSync(join(dir, LOCK_FILE), `12345 not-${hostname()}\n`);
  const err = t.throws(() => new RunStore(dir), { instanceOf: UsageError });
  t.is(err?.message, `${dir} is locked by a run on host not-${hostname()} (pid 12345); if that run is over, delete ${join(dir, LOCK_FILE)}`);
});

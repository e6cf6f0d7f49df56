// The native engine against runners that break the protocol (small scripts standing in for a broken gem-runner via
// GEMBENCH_RUNNER): a wrong protocol version or no hello is a clear start error and the process is killed, not left
// running; a stdout line that is not a response fails the pending request at once and marks the engine dead.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { NativeEngine } from "../engines/native-engine.ts";

const dir = mkdtempSync(join(tmpdir(), "gembench-proto-"));

/** An executable node script that records its pid in `<name>.pid`, then runs `body`. */
function fakeRunner(name: string, body: string): { path: string; pidFile: string } {
  const path = join(dir, name);
  const pidFile = `${path}.pid`;
  writeFileSync(path, `#!${process.execPath}\nrequire("node:fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));\n${body}\n`);
  chmodSync(path, 0o755);
  return { path, pidFile };
}

const HELLO = (protocol: number): string =>
  JSON.stringify({ type: "hello", protocol, build: "fake", backend: "cpu", device: "fake cpu", computeCapability: null, capabilities: {} });

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

// GEMBENCH_RUNNER is process-wide: these tests run one after another.
async function startWith(runner: string, helloTimeoutMs = 5000): Promise<NativeEngine> {
  process.env.GEMBENCH_RUNNER = runner;
  try {
    return await NativeEngine.start("cpu", { args: [], log: () => undefined, helloTimeoutMs });
  } finally {
    delete process.env.GEMBENCH_RUNNER;
  }
}

test.serial("another protocol version: start fails naming both versions; the runner is killed", async (t) => {
  const r = fakeRunner("v2", `console.log(${JSON.stringify(HELLO(2))}); setInterval(() => {}, 1000);`);
  const err = await t.throwsAsync(startWith(r.path));
  t.is(err?.message, `runner ${r.path} speaks protocol 2, this harness speaks 1; rebuild it (npm run build:native)`);
  t.true(await gone(Number(readFileSync(r.pidFile, "utf8"))));
});

test.serial("no hello in time: start fails; the runner is killed", async (t) => {
  const r = fakeRunner("silent", "setInterval(() => {}, 1000);");
  const err = await t.throwsAsync(startWith(r.path, 3000));
  t.is(err?.message, `runner ${r.path} sent no hello within 3000 ms`);
  t.true(await gone(Number(readFileSync(r.pidFile, "utf8"))));
});

test.serial("a non-protocol stdout line: the pending request fails at once as crashed, the engine is dead", async (t) => {
  const r = fakeRunner(
    "chatty",
    `console.log(${JSON.stringify(HELLO(1))});
require("node:readline").createInterface({ input: process.stdin }).on("line", () => { console.error("about to misbehave"); console.log("debug: loading weights"); });`,
  );
  const engine = await startWith(r.path);
  const started = Date.now();
  const out = await engine.load({ model: "synthetic:tiny-llama", overrides: {}, seed: 0, dtype: "f32", maxContext: null }, { timeoutMs: 60_000 });
  t.true(Date.now() - started < 5000, "failed without waiting for the timeout");
  t.false(out.ok);
  if (!out.ok) {
    t.is(out.failure.kind, "crashed");
    t.regex(out.failure.message, /^runner on cpu wrote a line that is not a protocol response: "debug: loading weights"/);
  }
  t.true(engine.dead);
  t.true(await gone(Number(readFileSync(r.pidFile, "utf8"))));
  await engine.close();
});

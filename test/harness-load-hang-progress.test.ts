// A runner that answers `hello` and then never answers `load`: "still loading" lines while it is awaited, and a load
// timeout derived from the model's size — 2 min + 1 min per GiB of weights in the load's dtype (its `describe`'s
// parameterCount) — unless run.loadTimeoutMs sets one. End to end with the stand-in runner (test/helpers/fake-engine.mjs,
// FAKE_ENGINE_HANG_LOAD=1) as GEMBENCH_RUNNER; the derived timeout and the progress cadence with a stub engine.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import test from "ava";
import type { Engine, LoadedModel, ModelSpec, Outcome } from "../core/engine.ts";
import { FALLBACK_LOAD_TIMEOUT_MS, loadTimeoutFor, RunnerPool } from "../harness/runner-pool.ts";

const bin = fileURLToPath(new URL("../bin/gembench.js", import.meta.url));
const fake = fileURLToPath(new URL("./helpers/fake-engine.mjs", import.meta.url));

const INFO: LoadedModel = { family: "llama", layers: 2, vocabSize: 300, maxPositions: 4096, eosIds: [2], bosId: 1 };

/** An engine whose load takes `loadMs` and then reports a timeout; it records the timeouts it was given. */
function stubEngine(parameterCount: number | undefined, loadMs: number, asked: { describe: number[]; load: number[] }): Engine {
  return {
    info: { kind: "stub", build: "stub", backend: "stub", device: "cpu", computeCapability: null, timer: "none", methods: [], presets: [] },
    dead: false,
    async describe(_s: ModelSpec, o: { timeoutMs: number }): Promise<Outcome<LoadedModel>> {
      asked.describe.push(o.timeoutMs);
      return { ok: true, value: parameterCount === undefined ? INFO : { ...INFO, parameterCount } };
    },
    async load(_s: ModelSpec, o: { timeoutMs: number }): Promise<Outcome<LoadedModel>> {
      asked.load.push(o.timeoutMs);
      await new Promise((r) => setTimeout(r, loadMs));
      return { ok: false, failure: { kind: "timeout", message: `no answer to load within ${o.timeoutMs} ms`, hint: "" } };
    },
    async generate() {
      throw new Error("not used");
    },
    async close() {},
  };
}

const spec = (dtype: string): ModelSpec => ({ model: "synthetic:big", overrides: {}, seed: 0, dtype, maxContext: null });

test("loadTimeoutFor: 2 min + 1 min per GiB of weights (parameterCount × 4 bytes in f32, × 2 in bf16)", (t) => {
  t.is(loadTimeoutFor(0, "f32"), 120_000);
  t.is(loadTimeoutFor(2 ** 28, "f32"), 180_000); // 1 GiB of f32 weights
  t.is(loadTimeoutFor(2 ** 28, "bf16"), 150_000); // the same in bf16: half a GiB
  t.is(loadTimeoutFor(8_030_261_248, "bf16"), 1_017_452); // Llama-3.1-8B in bf16: 120000 + 60000 × 16060522496 / 2^30 = 1017451.63 → about 17 minutes
});

test("the pool sizes the load timeout from describe, says so, and logs progress while the load is awaited", async (t) => {
  const asked = { describe: [] as number[], load: [] as number[] };
  const logs: string[] = [];
  const pool = new RunnerPool(["cpu"], async () => stubEngine(2 ** 28, 230, asked), { loadTimeoutMs: null, log: (m) => logs.push(m), progressMs: 50 });
  const out = await pool.modelInfo(spec("bf16"));
  await pool.close();
  t.false(out.ok);
  t.deepEqual(asked, { describe: [60_000], load: [150_000] });
  t.is(logs[0], "cpu: loading synthetic:big (gives up after 150 s: 268.4M parameters in bf16)");
  const progress = logs.filter((l) => /^cpu: still loading synthetic:big \(\d+ s\)$/.test(l));
  t.true(progress.length >= 3 && progress.length <= 5, logs.join("\n")); // every 50 ms over 230 ms
});

test("run.loadTimeoutMs overrides the derived timeout (no describe); an engine without a parameter count gets the fallback", async (t) => {
  const a = { describe: [] as number[], load: [] as number[] };
  const p1 = new RunnerPool(["cpu"], async () => stubEngine(2 ** 28, 1, a), { loadTimeoutMs: 5_000, log: () => {} });
  await p1.modelInfo(spec("f32"));
  await p1.close();
  t.deepEqual(a, { describe: [], load: [5_000] });
  const b = { describe: [] as number[], load: [] as number[] };
  const p2 = new RunnerPool(["cpu"], async () => stubEngine(undefined, 1, b), { loadTimeoutMs: null, log: () => {} });
  await p2.modelInfo(spec("f32"));
  await p2.close();
  t.deepEqual(b, { describe: [60_000], load: [FALLBACK_LOAD_TIMEOUT_MS] });
});

test("end to end: a runner that never answers load — a progress line after 10 s, then the load timeout, one model error (exit 1)", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-load-hang-"));
  const model = join(dir, "model");
  mkdirSync(model);
  writeFileSync(
    join(dir, "c.json"),
    JSON.stringify({
      name: "load-hang",
      models: [{ id: "synthetic:tiny-llama" }],
      engines: [{ method: "dense" }],
      suites: [{ name: "niah", options: { variant: "passkey", lengths: [400], depths: [50] } }],
      run: { loadTimeoutMs: 10_800 },
    }),
  );
  const started = Date.now();
  const r = spawnSync(process.execPath, [bin, "run", join(dir, "c.json"), "--out", join(dir, "run")], {
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, GEMBENCH_RUNNER: fake, FAKE_ENGINE_HANG_LOAD: "1" },
  });
  const s = (Date.now() - started) / 1000;
  t.is(r.status, 1, r.stderr);
  t.regex(r.stderr, /cpu: loading synthetic:tiny-llama \(gives up after 11 s: run\.loadTimeoutMs\)/);
  t.regex(r.stderr, /cpu: still loading synthetic:tiny-llama \(10 s\)/);
  t.regex(r.stderr, /model synthetic:tiny-llama: loading synthetic:tiny-llama: runner on cpu gave no answer to load within 10800 ms; killed/);
  t.true(s < 40, `${s} s`);
});

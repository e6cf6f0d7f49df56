// The engine axis end to end without Python: a stand-in engine process (test/helpers/fake-engine.mjs, speaking the
// runner's protocol) as the transformers engine's "Python". A cell whose method or parameter the engine's capabilities
// lack is refused before the run starts (exit 2, naming each, nothing written); a NIAH config on both engines writes
// records of both (the transformers ones with `engine`, keys of their own, the model exported for it once), resumes
// per engine, and its summary.md sets the engines side by side; transformers cells alone on GPUs run one engine
// process per GPU and need our runner only on the cpu (so no working CUDA backend of ours).
import test from "ava";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runRecords } from "./helpers/gembench-run.ts";

const bin = fileURLToPath(new URL("../bin/gembench.js", import.meta.url));
const fake = fileURLToPath(new URL("./helpers/fake-engine.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "gembench-fake-engine-"));

function run(engines: unknown[], out: string, caps?: unknown, extra: { args?: string[]; env?: Record<string, string>; lengths?: number[]; depths?: number[] } = {}) {
  const cfg = join(dir, `cfg-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(cfg, JSON.stringify({ name: "fake-engine", models: ["synthetic:tiny-llama"], engines, suites: [{ name: "niah", options: { variant: "passkey", lengths: extra.lengths ?? [400], depths: extra.depths ?? [50] } }], run: { maxNewTokens: 4 }, transformers: { python: fake } }));
  const env = { ...process.env, ...(caps === undefined ? {} : { FAKE_ENGINE_CAPS: JSON.stringify(caps) }), ...extra.env };
  const r = spawnSync(process.execPath, [bin, "run", cfg, "--out", out, ...(extra.args ?? [])], { encoding: "utf8", timeout: 120_000, env });
  return { code: r.status, stderr: r.stderr };
}

test("a method or parameter the engine does not implement is refused before the run, naming it", (t) => {
  const out = join(dir, "refused");
  const r = run(
    [
      { method: "snapkv", params: { k: 64 }, engine: ["native", "transformers"] },
      { method: "gemfilter", params: { filterLayer: 0, k: 64 }, engine: "transformers" },
    ],
    out,
    { methods: ["dense", "gemfilter"], methodParams: { dense: [], gemfilter: ["filterLayer", "k"] } },
  );
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /the transformers engine has no method "snapkv" \(it implements dense, gemfilter\)/);
  t.regex(r.stderr, /the transformers engine's gemfilter has no parameter "keepLast" \(it implements filterLayer, k\)/);
  t.false(existsSync(join(out, "records.jsonl")));
});

test("both engines in one run: records of each, keys apart, resumed per engine, side by side in summary.md", (t) => {
  const out = join(dir, "both");
  const engines = [{ method: "dense", engine: ["native", "transformers"] }];
  const first = run(engines, out);
  t.is(first.code, 0, first.stderr);
  t.regex(first.stderr, /transformers: exporting tiny-llama/);
  const records = runRecords(out);
  t.deepEqual(records.map((r) => r.engine ?? "native").sort(), ["native", "transformers"]);
  const [native, other] = [records.find((r) => r.engine === undefined)!, records.find((r) => r.engine === "transformers")!];
  t.not(native.cellKey, other.cellKey);
  t.is(other.environment.runnerBuild, "fake-engine 0");
  t.is(other.memory, null);
  t.is(other.inputLength, native.inputLength, "the same input ids");
  t.regex(readFileSync(join(out, "summary.md"), "utf8"), /### Engines side by side[\s\S]*\| dense · gembench \| transformers \| 1 \| exactMatch \|/);
  const second = run(engines, out);
  t.is(second.code, 0, second.stderr);
  t.is(runRecords(out).length, 2, "resumed: nothing ran again");
  t.regex(second.stderr, /2 cases: 0 completed now, 2 already done/);
});

test("transformers cells only on GPUs 0,1: one engine process per GPU, our runner only on the cpu (describe, export)", (t) => {
  const out = join(dir, "gpus");
  const r = run([{ method: "dense", engine: "transformers" }], out, undefined, { args: ["--devices", "0,1"], env: { FAKE_ENGINE_CUDA: "1" }, lengths: [700], depths: [0, 25, 50, 75, 100] });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /exporting tiny-llama .* \(cpu runner, bf16\)/);
  const records = runRecords(out);
  t.is(records.length, 5);
  t.true(records.every((x) => x.engine === "transformers" && x.status === "completed"));
  t.deepEqual([...new Set(records.map((x) => x.environment.device))].sort(), ["fake GPU 0", "fake GPU 1"]);
});

// Opt-in (GEMBENCH_TRANSFORMERS_PYTHON = a Python with torch and transformers): a bench config with every entry on
// both engines (engine ["native", "transformers"]) on a tiny synthetic model on the CPU. Both engines' records come
// from one run; the model is exported once and reused by a second run; the greedy tokens of every method are equal
// between the two (fp32 both: the transformers engine computes the selections itself, so equal tokens also check
// GemFilter's pass 1, SnapKV's votes, H2O's column sums and random's draw); the transformers records state their
// numerics (torch-cpu fp32) and have no memory figure; summary.md shows the ratios.
import test from "ava";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseRecord } from "../core/records.ts";
import { peerPython, skipMessage } from "./helpers/transformers.ts";

const skip = skipMessage("the transformers engine bench end-to-end test");
if (skip) console.warn(skip);

const bin = fileURLToPath(new URL("../bin/gembench.js", import.meta.url));

(skip ? test.skip : test)("bench on both engines: same tokens, ratios in summary.md, the export reused", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-tf-bench-e2e-"));
  const cfg = join(dir, "cfg.json");
  writeFileSync(
    cfg,
    JSON.stringify({
      name: "peer-e2e",
      models: [{ id: "synthetic:tiny-llama", seed: 3 }],
      engines: [
        { method: "dense" },
        { method: "gemfilter", params: { filterLayer: 1, k: 24 } },
        { method: "snapkv", params: { k: 40, window: 8 } },
        { method: "h2o", params: { k: 40, recent: 8 } },
        { method: "random", params: { k: 40 } },
      ].map((e) => ({ ...e, engine: ["native", "transformers"] })),
      suites: [{ name: "bench", options: { lengths: [64, 128], maxNewTokens: 6 }, ignoreEos: true, warmups: 1, repeats: 2 }],
      transformers: { python: peerPython, modelDir: join(dir, "exports") },
    }),
  );
  const run = (out: string) => spawnSync(process.execPath, [bin, "run", cfg, "--out", join(dir, out)], { encoding: "utf8", timeout: 600_000 });
  const first = run("a");
  t.is(first.status, 0, first.stderr);
  t.regex(first.stderr, /transformers: exporting tiny-llama/);

  const records = readFileSync(join(dir, "a", "records.jsonl"), "utf8").trim().split("\n").map(parseRecord);
  t.true(records.every((r) => r.status === "completed"));
  const ours = records.filter((r) => r.engine === undefined);
  const peer = records.filter((r) => r.engine === "transformers");
  t.is(ours.length, 10);
  t.deepEqual(peer.map((r) => `${r.method.name} ${r.caseId}`).sort(), ["dense len128", "dense len64", "gemfilter len128", "gemfilter len64", "h2o len128", "h2o len64", "random len128", "random len64", "snapkv len128", "snapkv len64"]);
  for (const p of peer) {
    const o = ours.find((r) => r.method.name === p.method.name && r.caseId === p.caseId)!;
    t.deepEqual(p.output!.ids, o.output!.ids, `${p.method.name} ${p.caseId}: greedy tokens`);
    t.is(p.keptLength, o.keptLength, `${p.method.name} ${p.caseId}: kept length`);
    t.is(p.environment.backend, "torch-cpu fp32 sdpa");
    t.is(p.environment.timer, "perf-counter");
    t.is(p.memory, null, "the transformers engine on the CPU counts no memory");
    t.is(p.timings!.decodeTokens, 5);
    t.is(p.timings!.samples!.prefillMs.length, 2);
    t.is(p.timings!.filterMs > 0, p.method.name === "gemfilter" || p.method.name === "random");
    t.not(p.cellKey, o.cellKey);
  }

  const md = readFileSync(join(dir, "a", "summary.md"), "utf8");
  t.regex(md, /### Ours vs the peer/);
  t.regex(md, /\| dense \| 64 \| transformers \| – \| \d+\.\d+× \(/);
  t.regex(md, /\| gemfilter r=1 k=24 \| 128 \| transformers \| \d+\.\d+× \(/);
  t.regex(md, /\| snapkv k=40 gqa=mean window=8 \| 64 \| transformers \| – \| \d+\.\d+× \(/);
  t.regex(md, /\| h2o k=40 gqa=mean recent=8 \| 64 \| transformers \| – \| \d+\.\d+× \(/);
  t.regex(md, /\| random k=40 \| 64 \| transformers \| \d+\.\d+× \(/);

  const second = run("b");
  t.is(second.status, 0, second.stderr);
  t.regex(second.stderr, /transformers: reusing the export of tiny-llama/);
});

// A sweep whose filterLayer is out of range for its model is refused before any case runs, one message per bad
// cell (the bound comes from the runner's method spec: 0 ≤ filterLayer ≤ layers - 1).
import test from "ava";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../core/errors.ts";
import { runInProcess, toySuites } from "./helpers/harness-toy-suite.ts";

test("filterLayer ≥ layers: the run stops before the first case, naming each bad cell", async (t) => {
  const out = mkdtempSync(join(tmpdir(), "gembench-preflight-"));
  const err = await t.throwsAsync(
    runInProcess(
      {
        name: "preflight",
        models: ["synthetic:tiny-llama"], // 4 layers
        engines: [{ method: "gemfilter", params: { filterLayer: [1, 4, 7], k: 8 } }, { method: "dense" }],
        suites: [{ name: "toy", options: { cases: 2 } }],
      },
      out,
      toySuites,
    ),
  );
  t.true(err instanceof UsageError, String(err));
  const lines = (err?.message ?? "").split("\n");
  t.is(lines[0], "2 cell(s) do not fit their model:");
  t.regex(lines[1] ?? "", /^ {2}cell \S+ \(tiny-llama, gemfilter r=4 k=8\): filterLayer = 4 is out of range for a model of 4 layers \(0 ≤ filterLayer ≤ 3\)$/);
  t.regex(lines[2] ?? "", /^ {2}cell \S+ \(tiny-llama, gemfilter r=7 k=8\): filterLayer = 7 is out of range/);
  t.is(lines.length, 3);
  const records = join(out, "records.jsonl");
  t.true(!existsSync(records) || readFileSync(records, "utf8") === "", "no case ran");
});

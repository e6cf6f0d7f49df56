// summary.md: per suite, status counts, a score table (mean headline × 100 per method and dataset), a speed/memory
// table (median and min–max over repeats, GiB), and failures grouped by error with the hint.
import test from "ava";
import { markdownText } from "../reports/markdown.ts";
import { dense, gemfilter, longbenchRecord, niahRecord } from "./helpers/records.ts";

test("the whole summary for two NIAH records and one errored LongBench record", (t) => {
  const records = [
    niahRecord({ method: dense, contextLength: 4000, depthPercent: 50, score: 1 }),
    niahRecord({ method: gemfilter(13, 1024), contextLength: 4000, depthPercent: 50, score: 0.75 }),
    longbenchRecord({ method: gemfilter(13, 1024), dataset: "hotpotqa", category: "Multi-Document QA", index: 0, score: 0, status: "errored" }),
  ];
  t.is(
    markdownText(records),
    `# gembench summary

Run: run-fixture · 3 records

## niah

completed: 2

### Scores

Mean headline score × 100 (niah-single: niah); Avg = mean over datasets; n = completed cases; Failed = errored or unsupported.

| Method | niah-single | n | Failed |
| :--- | ---: | ---: | ---: |
| dense | 100.0 | 1 | 0 |
| gemfilter filterLayer=13 k=1024 | 75.0 | 1 | 0 |

### Speed and memory

Median (min–max) over all kept repeats of all cases; memory in GiB (2^30 bytes): the runner's own bytes in use, the largest over the cases. Peak total: the largest total and the phase it fell in (filter = GemFilter's filter pass), then its split by category at that moment. KV cache (decode): the cache the method decodes from, what SnapKV, H2O and GemFilter shrink. Max over phases: per category, the largest of the per-phase splits (each taken at its phase's peak total), with its phase.

| Method | Context | Cases | Filter ms | Prefill ms | TTFT ms | Decode ms/token | Peak total GiB (phase) | At peak total GiB: weights / KV / activations / workspace | KV cache GiB (decode) | KV cache GiB (max over phases) | Activations GiB (max over phases) | Workspace GiB (max over phases) |
| :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| dense | 4000 | 1 | 0.00 (0.00–0.00) | 105 (100–110) | 110 (105–115) | 2.00 (2.00–2.00) | 16.50 (prefill) | 15.00 / 1.00 / 0.50 / 0.00 | 1.00 | 1.00 (prefill) | 0.50 (prefill) | 0.00 |
| gemfilter filterLayer=13 k=1024 | 4000 | 1 | 0.00 (0.00–0.00) | 105 (100–110) | 110 (105–115) | 2.00 (2.00–2.00) | 16.50 (prefill) | 15.00 / 1.00 / 0.50 / 0.00 | 1.00 | 1.00 (prefill) | 0.50 (prefill) | 0.00 |

## longbench

errored: 1

### Failures

- errored RUNNER_OOM: out of memory (1×) — hint: lower the context length
`,
  );
});

test("pipes and newlines in labels cannot break a table row", (t) => {
  const r = niahRecord({ method: dense, contextLength: 4000, depthPercent: 50, score: 1 });
  const md = markdownText([{ ...r, method: { ...r.method, label: "a|b\nc" } }]);
  t.true(md.includes("| a\\|b c | 100.0 | 1 | 0 |"));
});

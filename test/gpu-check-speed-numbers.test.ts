// The GPU check's speed step checks its numbers (scripts/gpu-check-speed.awk over the runner's answers): every cell
// answered, timings positive, prefill slower at 32K than at 8K per method, 49 timed decode steps, and the device
// memory cross-check. A consistent set prints nothing; each broken rule prints its line.
import test from "ava";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const awk = fileURLToPath(new URL("../scripts/gpu-check-speed.awk", import.meta.url));

interface Cell { prefill: number; filter?: number; decodeTokens?: number; decode?: number; peak?: number }
function answers(cells: Record<number, Cell>): string {
  const lines = ['{"backend":"cuda","build":"x"}', '{"id":0,"ok":true,"result":{"layers":32}}'];
  for (const [id, c] of Object.entries(cells)) {
    const timings = { filterMs: c.filter ?? 0, prefillMs: c.prefill, decodeMs: c.decode ?? 0, decodeTokens: c.decodeTokens ?? 0,
                      ttftMs: c.prefill + 1, totalMs: c.prefill + (c.decode ?? 0) + 2 };
    const extra = { arenaBytes: 4e9, arenaPeakBytes: c.peak ?? 3e9, deviceUsedBytes: 2e10, deviceTotalBytes: 8e10 };
    lines.push(JSON.stringify({ id: Number(id), ok: true, result: { outputIds: [5], timings, memory: { extra } } }));
  }
  return lines.join("\n") + "\n";
}
function check(text: string): string[] {
  const r = spawnSync("awk", ["-f", awk], { input: text, encoding: "utf8" });
  return r.stdout.split("\n").filter((l) => l !== "");
}
const good: Record<number, Cell> = {
  100: { prefill: 90 },
  1: { prefill: 700 }, 2: { prefill: 260, filter: 240 }, 3: { prefill: 4100 }, 4: { prefill: 900, filter: 850 },
  5: { prefill: 700, decodeTokens: 49, decode: 980 }, 6: { prefill: 260, filter: 240, decodeTokens: 49, decode: 600 },
};

test("a consistent set of answers passes", (t) => {
  t.deepEqual(check(answers(good)), []);
});

test("each broken rule is reported", (t) => {
  const bad = { ...good, 3: { prefill: 650 }, 4: { prefill: 0, filter: 850 }, 5: { prefill: 700, decodeTokens: 20, decode: 980 },
                6: { prefill: 260, filter: 240, decodeTokens: 49, decode: 600, peak: 5e9 } };
  const text = answers(bad).replace(/\n\{"id":2,[^\n]*/, "\n" + JSON.stringify({ id: 2, ok: false, error: { code: "oom", message: "out of memory" } }));
  t.deepEqual(check(text), [
    'cell 2 failed: {"id":2,"ok":false,"error":{"code":"oom","message":"out of memory"}}',
    "cell 4: prefillMs 0 is not positive",
    "cell 5: 20 decode steps timed, not 49",
    "cell 6: memory cross-check fails (arenaPeakBytes 5e+09 ≤ arenaBytes 4e+09 ≤ deviceUsedBytes 2e+10)",
    "cell 2: no answer",
    "dense prefill at 32K (650 ms) is not slower than at 8K (700 ms)",
  ]);
});

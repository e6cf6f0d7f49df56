import test from "ava";
import { parseConfig } from "../harness/config.ts";
import { expandSweep } from "../harness/sweep.ts";
import { toySuites } from "./helpers/harness-toy-suite.ts";

test("cells are the cartesian product, ordered model, then suite, then engine, then params (first param slowest)", (t) => {
  const config = parseConfig(
    {
      name: "order",
      models: ["synthetic:a", "synthetic:b"],
      engines: [
        { method: "gemfilter", params: { filterLayer: [1, 2], k: [8, 16] } },
        { method: "dense" },
      ],
      suites: [{ name: "toy", options: { cases: 1 } }, { name: "toy", options: { cases: 2 } }],
    },
    { source: "c.json", baseDir: "/tmp", suites: toySuites },
  );
  const cells = expandSweep(config);
  const rows = cells.map((c) => `${c.model.name} ${String((c.suite.options as { cases: number }).cases)} ${c.method.label}`);
  const block = (m: string, s: number): string[] => [
    `${m} ${s} gemfilter r=1 k=8`,
    `${m} ${s} gemfilter r=1 k=16`,
    `${m} ${s} gemfilter r=2 k=8`,
    `${m} ${s} gemfilter r=2 k=16`,
    `${m} ${s} dense`,
  ];
  t.deepEqual(rows, [...block("a", 1), ...block("a", 2), ...block("b", 1), ...block("b", 2)]);
  t.deepEqual(cells.map((c) => c.index), Array.from({ length: 20 }, (_, i) => i));
  t.deepEqual(cells[1]?.sweep, { filterLayer: 1, k: 16 });
  t.deepEqual(cells[4]?.sweep, {});
  t.deepEqual(cells[0]?.method.params, { filterLayer: 1, k: 8, keepLast: 0 });
});

// The shard plan: a pure function of the cells and N that gives every case to exactly one shard, keeps models whole
// where a cut falls near a model boundary, and balances the estimated cost.
import test from "ava";
import { parseShard, planShards, portionIndices, type PlanCell } from "../harness/shards.ts";

/** Cases of each shard as "cellKey#index", given each cell's case costs. */
function assign(cells: PlanCell[], caseCosts: Map<string, number[]>, n: number): string[][] {
  return planShards(cells, n).map((portions) => portions.flatMap((p) => portionIndices(caseCosts.get(p.cellKey)!, p).map((i) => `${p.cellKey}#${i}`)));
}

test("every case in exactly one shard, for N = 1..12, on uneven cells", (t) => {
  const cells: PlanCell[] = [];
  const caseCosts = new Map<string, number[]>();
  let seed = 7;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let m = 0; m < 3; m++) {
    for (let c = 0; c < 4; c++) {
      const key = `m${m}c${c}`;
      const costs = Array.from({ length: 1 + Math.floor(rnd() * 9) }, () => 100 + Math.floor(rnd() * 4000));
      caseCosts.set(key, costs);
      cells.push({ cellKey: key, modelIndex: m, cost: 1000 * (1 + Math.floor(rnd() * 20)) });
    }
  }
  const all = [...caseCosts].flatMap(([k, cs]) => cs.map((_, i) => `${k}#${i}`)).sort();
  for (let n = 1; n <= 12; n++) {
    const shards = assign(cells, caseCosts, n);
    t.is(shards.length, n);
    const flat = shards.flat();
    t.is(new Set(flat).size, flat.length, `N=${n}: a case in two shards`);
    t.deepEqual([...flat].sort(), all, `N=${n}: a case in no shard`);
    t.deepEqual(assign(cells, caseCosts, n), shards, `N=${n}: not deterministic`);
  }
});

test("three equal models into three shards: one whole model each (cuts snap onto model boundaries)", (t) => {
  const cells: PlanCell[] = [];
  for (let m = 0; m < 3; m++) for (let c = 0; c < 5; c++) cells.push({ cellKey: `m${m}c${c}`, modelIndex: m, cost: c === 0 ? 1300 : 1000 - 60 * m });
  const plan = planShards(cells, 3);
  plan.forEach((portions, s) => {
    t.deepEqual(portions.map((p) => p.cellKey), [0, 1, 2, 3, 4].map((c) => `m${s}c${c}`));
    t.true(portions.every((p) => p.from === 0 && p.to === 1));
  });
});

test("one big cell split four ways by case cost: portions tile [0, 1) and the cost is balanced", (t) => {
  const plan = planShards([{ cellKey: "only", modelIndex: 0, cost: 40 }], 4);
  t.deepEqual(
    plan.map((ps) => ps.map((p) => [p.from, p.to])),
    [[[0, 0.25]], [[0.25, 0.5]], [[0.5, 0.75]], [[0.75, 1]]],
  );
  // 8 cases of cost 1..8 (36 in all): midpoints 0.5, 2, 4.5, 8, 12.5, 18, 24.5, 32 of 36 → quarters at 9, 18, 27.
  const costs = [1, 2, 3, 4, 5, 6, 7, 8];
  t.deepEqual(
    plan.map((ps) => portionIndices(costs, ps[0]!)),
    [[0, 1, 2, 3], [4], [5, 6], [7]],
  );
});

test("a cut near a cell boundary moves onto it, so the cell is not split", (t) => {
  // Total 300, two shards: the cut at 150 is 5 from the boundary at 145 (within 10% of the 150 target).
  const plan = planShards(
    [
      { cellKey: "a", modelIndex: 0, cost: 145 },
      { cellKey: "b", modelIndex: 0, cost: 155 },
    ],
    2,
  );
  t.deepEqual(plan, [[{ cellKey: "a", from: 0, to: 1 }], [{ cellKey: "b", from: 0, to: 1 }]]);
});

test("--shard parses i/N and refuses the rest", (t) => {
  t.deepEqual(parseShard("0/3"), { index: 0, count: 3 });
  t.deepEqual(parseShard("2/3"), { index: 2, count: 3 });
  for (const bad of ["3/3", "1", "-1/3", "1/0", "a/b", "1/3/4", ""]) {
    t.throws(() => parseShard(bad), { message: /--shard: expected "i\/N" with 0 <= i < N/ }, bad);
  }
});

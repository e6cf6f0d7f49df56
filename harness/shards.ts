// Shards: one run's cases split into N parts, deterministically, so N processes (Slurm array tasks, or any other
// launcher) can each run `gembench run <config> --out DIR --shard i/N` into the same run folder.
//
// The plan is a pure function of the config and N: the cells, in their model-major order, are laid end to end on a
// line, each as long as its estimated cost (the suite's estimate: context length × cases), and the line is cut into N
// pieces of equal cost. A cut that falls near a model boundary moves onto it (so a shard loads as few models as
// possible), one near a cell boundary onto that; otherwise it splits the cell, and the cell's cases are shared by
// their real token counts (known once the shard builds them; every shard builds the same cases, so all agree).
// Each case therefore belongs to exactly one shard, whatever N.
import { UsageError } from "../core/errors.ts";
import type { ShardSpec } from "../core/results.ts";

/** "i/N" (0 <= i < N), as given to `gembench run --shard`. */
export function parseShard(s: string): ShardSpec {
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  const index = m === null ? NaN : Number(m[1]);
  const count = m === null ? NaN : Number(m[2]);
  if (m === null || !Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1 || index >= count) {
    throw new UsageError(`--shard: expected "i/N" with 0 <= i < N (e.g. 0/4 for the first of four shards), got ${JSON.stringify(s)}`);
  }
  return { index, count };
}

export interface PlanCell {
  cellKey: string;
  modelIndex: number;
  /** Estimated cost (> 0). */
  cost: number;
}

/** A shard's part of one cell: the cases whose cost midpoint lies in [from, to) of the cell's total (fractions). */
export interface CellPortion {
  cellKey: string;
  from: number;
  to: number;
}

/**
 * Refuse more shards than the run has cases: `maxCases` holds each cell's most cases (the suite's maxCases, capped by
 * --limit), null where a suite cannot tell without reading its data (then nothing is checked). A shard beyond the
 * cases would run nothing and leave an empty records file that looks like a finished share of the work.
 */
export function checkShardCount(flag: string, count: number, maxCases: readonly (number | null)[]): void {
  if (maxCases.some((n) => n === null)) return;
  const total = (maxCases as number[]).reduce((a, b) => a + b, 0);
  if (count > total) {
    throw new UsageError(
      `${flag}: ${count} shards for a run of at most ${total} case(s) (${maxCases.length} cell(s)); ${count - total} shard(s) would run nothing — use at most ${Math.max(1, total)} shards`,
    );
  }
}

/** Cuts closer than this fraction of a shard's target cost to a model (then a cell) boundary snap onto it. */
const SNAP_MODEL = 0.25;
const SNAP_CELL = 0.1;

/**
 * Every shard's portions, shard by shard (a shard can have none when N exceeds what can be split). Cells must come in
 * the sweep's model-major order.
 */
export function planShards(cells: readonly PlanCell[], count: number): CellPortion[][] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`shard count must be a positive integer, got ${count}`);
  const starts: number[] = [];
  let total = 0;
  for (const c of cells) {
    if (!(c.cost > 0) || !Number.isFinite(c.cost)) throw new Error(`cell ${c.cellKey}: cost must be a positive number, got ${c.cost}`);
    starts.push(total);
    total += c.cost;
  }
  const modelBounds: number[] = [];
  const cellBounds: number[] = [];
  cells.forEach((c, i) => {
    cellBounds.push(starts[i]!);
    if (i === 0 || cells[i - 1]!.modelIndex !== c.modelIndex) modelBounds.push(starts[i]!);
  });
  const target = total / count;
  const nearest = (x: number, bounds: number[], tol: number): number | null => {
    let best: number | null = null;
    for (const b of bounds) if (Math.abs(b - x) <= tol && (best === null || Math.abs(b - x) < Math.abs(best - x))) best = b;
    return best;
  };
  // Cut points 0 = c_0 <= c_1 <= ... <= c_N = total; snapped cuts stay ordered because they only ever move onto a
  // boundary, and a cut is never moved below its predecessor.
  const cuts: number[] = [0];
  for (let s = 1; s < count; s++) {
    const x = s * target;
    const snapped = nearest(x, modelBounds, SNAP_MODEL * target) ?? nearest(x, cellBounds, SNAP_CELL * target) ?? x;
    cuts.push(Math.min(total, Math.max(cuts[s - 1]!, snapped)));
  }
  cuts.push(total);
  const shards: CellPortion[][] = [];
  for (let s = 0; s < count; s++) {
    const a = cuts[s]!, b = cuts[s + 1]!;
    const portions: CellPortion[] = [];
    cells.forEach((c, i) => {
      const lo = Math.max(a, starts[i]!), hi = Math.min(b, starts[i]! + c.cost);
      if (hi <= lo) return;
      // Whole cells get exactly [0, 1); a split cell's ends are exact at its own boundaries.
      const from = lo <= starts[i]! ? 0 : (lo - starts[i]!) / c.cost;
      const to = hi >= starts[i]! + c.cost ? 1 : (hi - starts[i]!) / c.cost;
      portions.push({ cellKey: c.cellKey, from, to });
    });
    shards.push(portions);
  }
  return shards;
}

/**
 * The indices of the items (a cell's cases, in order, with their costs) that belong to a portion: those whose cost
 * midpoint lies in [from, to). Portions of one cell that tile [0, 1) therefore split its items without overlap or gap.
 */
export function portionIndices(costs: readonly number[], portion: { from: number; to: number }): number[] {
  const total = costs.reduce((a, b) => a + b, 0);
  const out: number[] = [];
  let acc = 0;
  costs.forEach((c, i) => {
    const mid = total === 0 ? (i + 0.5) / costs.length : (acc + c / 2) / total;
    acc += c;
    if (mid >= portion.from && (mid < portion.to || portion.to >= 1)) out.push(i);
  });
  return out;
}

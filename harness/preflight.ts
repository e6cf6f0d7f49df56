// Before the first case of a run: every cell's method parameters checked against its model's model-dependent bounds
// (the runner's spec, e.g. filterLayer < the model's layers), so a bad sweep is one clear error per bad cell, not one
// errored record per case.
import { methodSpec, modelProblems } from "../engines/index.ts";
import type { Cell } from "./sweep.ts";

/** One message per bad cell ("cell <key> (<model>, <label>): …"); empty when every cell fits its model. */
export function cellProblems(cells: readonly Cell[], layersOf: (cell: Cell) => number | null): string[] {
  const out: string[] = [];
  for (const cell of cells) {
    const layers = layersOf(cell);
    if (layers === null) continue; // the model could not be described: its own error says so
    for (const msg of modelProblems(methodSpec(cell.method.name), cell.method.params, layers))
      out.push(`cell ${cell.cellKey} (${cell.model.name}, ${cell.method.label}): ${msg}`);
  }
  return out;
}

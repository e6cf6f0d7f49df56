// Before the first case of a run: every cell's method parameters checked against its model's model-dependent bounds
// (the runner's spec, e.g. filterLayer < the model's layers), so a bad sweep is one clear error per bad cell, not one
// errored record per case.
import { methodSpec, modelProblems } from "../engines/index.ts";
import type { SuiteCase } from "../core/suite.ts";
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

/**
 * The first token id of a case (prompt, stop or EOS ids) outside the model's vocabulary [0, vocabSize), as a message
 * naming the case, the list and the id; null when every id fits. A tokenizer that is not the model's (a config's
 * `tokenizer` with more tokens) makes such ids; the runner would refuse each case, or a stop id would never fire.
 */
export function idOutsideVocab(c: Pick<SuiteCase, "caseId" | "inputIds" | "stopIds" | "eosIds">, vocabSize: number): string | null {
  const lists: [string, readonly number[]][] = [["inputIds", c.inputIds], ["stopIds", c.stopIds], ["eosIds", c.eosIds ?? []]];
  for (const [name, ids] of lists) {
    const i = ids.findIndex((id) => !Number.isInteger(id) || id < 0 || id >= vocabSize);
    if (i >= 0) return `case ${c.caseId}: ${name}[${i}] = ${ids[i]} is outside the model's vocabulary [0, ${vocabSize}) (vocab size ${vocabSize})`;
  }
  return null;
}

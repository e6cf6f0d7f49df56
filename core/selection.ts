// Reading a record's Selection: which prompt positions a method kept.
import type { Selection } from "./records.ts";

/**
 * The kept prompt positions for the viewer: the indices for one-set methods; for per-head methods the positions
 * kept by at least half of all (layer, head) sets; every position for dense.
 */
export function keptForViewer(sel: Selection, inputLength: number): number[] {
  switch (sel.kind) {
    case "all":
      return Array.from({ length: inputLength }, (_, i) => i);
    case "indices":
      return [...sel.indices].sort((a, b) => a - b);
    case "perHead":
    case "perQueryHead": {
      const counts = new Map<number, number>();
      let sets = 0;
      for (const layer of sel.perLayer) {
        for (const head of layer) {
          sets++;
          for (const i of head) counts.set(i, (counts.get(i) ?? 0) + 1);
        }
      }
      return [...counts.entries()].filter(([, c]) => 2 * c >= sets).map(([i]) => i).sort((a, b) => a - b);
    }
  }
}

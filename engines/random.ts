// Random: keep k prompt tokens chosen uniformly at random (seeded); the floor any selection method must beat.
import { joinLabel, nonDefaultParams, type MethodAdapter } from "./method.ts";

export const random: MethodAdapter = {
  name: "random",
  description: "Random selection of k prompt tokens (seeded): the control every selection method must beat.",
  params: {
    k: { kind: "int", min: 1, description: "number of prompt tokens kept" },
    seed: { kind: "int", min: 0, default: 0, description: "random seed" },
  },
  label: (p) => joinLabel(`random k=${String(p.k)}`, nonDefaultParams(random, p, ["k"])),
  toRunner: (p) => ({ name: "random", params: { k: p.k ?? null, seed: p.seed ?? 0 } }),
};

// Random: keep k prompt tokens chosen uniformly at random (seeded); the floor any selection method must beat.
import { budgetLabel, joinLabel, nonDefaultParams, type MethodAdapter } from "./method.ts";

export const random: MethodAdapter = {
  name: "random",
  label: (p) => joinLabel(`random ${budgetLabel(p)}`, nonDefaultParams(random, p, ["k", "ratio"])),
  toRunner: (p) => ({ name: "random", params: p }),
};

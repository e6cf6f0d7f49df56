// Random: keep k prompt tokens chosen uniformly at random (seeded); the floor any selection method must beat.
import { joinLabel, nonDefaultParams, type MethodAdapter } from "./method.ts";

export const random: MethodAdapter = {
  name: "random",
  label: (p) => joinLabel(`random k=${String(p.k)}`, nonDefaultParams(random, p, ["k"])),
  toRunner: (p) => ({ name: "random", params: p }),
};

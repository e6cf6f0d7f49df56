// code_sim at the .5 rounding boundaries against the real packages: fuzzywuzzy 0.18 with python-Levenshtein 0.12.2
// and with Levenshtein 0.27.5 (datasets/longbench/parity/code-sim-boundaries.json, made by code_sim_packages.py on
// pairs.ts's 218 boundary pairs). The two packages disagree on some of these pairs; each variant must match its own.
import test from "ava";
import { readFileSync } from "node:fs";
import { fuzzRatio, type CodeSimVariant } from "../datasets/longbench/metrics.ts";
import { codeSimBoundaryPairs } from "../datasets/longbench/parity/pairs.ts";

const fixture = JSON.parse(
  readFileSync(new URL("../datasets/longbench/parity/code-sim-boundaries.json", import.meta.url), "utf8"),
) as { pairs: number; ratios: Record<"levenshtein-0.12" | "levenshtein", number[]> };

test("fuzz.ratio at .5 boundaries equals python-Levenshtein 0.12.2's and 0.27.5's, pair for pair", (t) => {
  const pairs = codeSimBoundaryPairs();
  t.is(pairs.length, fixture.pairs, "pairs.ts changed: regenerate code-sim-boundaries.json");
  for (const variant of ["levenshtein-0.12", "levenshtein"] as const satisfies readonly CodeSimVariant[]) {
    const got = pairs.map((p) => fuzzRatio(p.prediction, p.answer, variant));
    t.deepEqual(got, fixture.ratios[variant], variant);
  }
  const differing = fixture.ratios.levenshtein.filter((r, i) => r !== fixture.ratios["levenshtein-0.12"][i]).length;
  t.is(differing, 13, "the packages themselves disagree on 13 of the 218 pairs");
});

// The suite registry: suite name → Suite. Adding a suite = one folder under datasets/ + one line here.
import type { Suite, SuiteRegistry } from "../core/suite.ts";
import { benchSuite } from "./bench/index.ts";
import { longbenchSuite } from "./longbench/index.ts";
import { longbenchV2Suite } from "./longbench-v2/index.ts";
import { rulerSuite } from "./ruler/index.ts";
import { niahSuite } from "./niah/index.ts";

export const suites: SuiteRegistry = {
  niah: niahSuite as Suite<unknown>,
  longbench: longbenchSuite as Suite<unknown>,
  bench: benchSuite as Suite<unknown>,
  ruler: rulerSuite as Suite<unknown>,
  "longbench-v2": longbenchV2Suite as Suite<unknown>,
};

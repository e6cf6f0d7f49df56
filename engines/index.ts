// The method registry: adding a method = one adapter file here + one selector on the runner side + one line below.
import type { MethodAdapter } from "./method.ts";
import { dense } from "./dense.ts";
import { gemfilter } from "./gemfilter.ts";
import { snapkv } from "./snapkv.ts";
import { h2o } from "./h2o.ts";
import { random } from "./random.ts";
import { streamingllm } from "./streamingllm.ts";
import { knorm } from "./knorm.ts";
import { tova } from "./tova.ts";
import { observed } from "./observed.ts";
import { pyramidkv } from "./pyramidkv.ts";
import { chunkkv } from "./chunkkv.ts";
import { adasnapkv } from "./adasnapkv.ts";

export const methods: Readonly<Record<string, MethodAdapter>> = {
  dense,
  gemfilter,
  snapkv,
  h2o,
  random,
  streamingllm,
  knorm,
  tova,
  observed,
  pyramidkv,
  chunkkv,
  adasnapkv,
};

export function getMethod(name: string): MethodAdapter | undefined {
  return Object.hasOwn(methods, name) ? methods[name] : undefined;
}

export type { MethodAdapter, MethodParams, MethodSpec, ParamRule, ParamSpec } from "./method.ts";
export { expandParamSet, methodSpec, methodSpecs, modelProblems, paramsSchema, resolveParams, ruleProblems } from "./method.ts";

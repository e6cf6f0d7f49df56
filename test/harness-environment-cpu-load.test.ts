// Every record says which CPU ran it (model and the SIMD features that pick the kernels) and how loaded the machine
// was: the 1/5/15-minute load averages when its case started and when it ended, kept by the record schema.
import { resolve } from "node:path";
import test from "ava";
import { Environment } from "../core/records.ts";
import { collectEnvironment, cpuDescription } from "../harness/environment.ts";

const REPO = resolve(import.meta.dirname, "..");
const info = { build: "b", backend: "cpu", device: "CPU (2 threads, fast/avx512 kernels)", timer: "steady-clock" };

test("the cpu description lists the model and its SIMD flags in a fixed order", (t) => {
  const cpuinfo = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse4_2 avx512f fma avx2 avx avx512_bf16 lm\n";
  t.is(cpuDescription(cpuinfo, "AMD EPYC"), "AMD EPYC; sse4_2 avx avx2 fma avx512f avx512_bf16");
  t.is(cpuDescription(null, "Apple M2"), "Apple M2");
});

test("the environment carries the load average at the case's start and end", (t) => {
  const env = Environment.parse(collectEnvironment(info, REPO, [7.5, 6.25, 3]));
  t.deepEqual(env.loadAverage?.start, [7.5, 6.25, 3]);
  t.is(env.loadAverage?.end.length, 3);
  t.true(env.loadAverage?.end.every((x) => Number.isFinite(x) && x >= 0));
  t.truthy(env.cpu);
  t.is(Environment.parse(collectEnvironment(info, REPO)).loadAverage, undefined);
});

// Every value `gembench slurm` pastes into a batch script is checked: a newline in --partition or --sbatch-arg
// (a new directive or shell line), a space in --out (a cut #SBATCH --output) are usage errors naming the flag; the
// default asks for no GPU (the same config means the CPU through run and slurm). No Slurm needed (--dry-run).
import test from "ava";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { UsageError } from "../core/errors.ts";
import { slurmSubmit } from "../harness/slurm.ts";
import { suites as suiteRegistry } from "../datasets/index.ts";

const CONFIG = join(resolve(import.meta.dirname, ".."), "configs", "quickstart.json");
const base = { gpusPerTask: 0, cpusPerTask: 2, sbatchArg: [] as string[], dryRun: true };
const submit = (o: Partial<typeof base> & { out?: string; partition?: string; shards?: number }) =>
  slurmSubmit(CONFIG, { ...base, out: join(mkdtempSync(join(tmpdir(), "gembench-slurm-v-")), "run"), ...o }, suiteRegistry, () => {});

test("newlines in --partition and --sbatch-arg, a space in --out: usage errors naming the flag", (t) => {
  t.throws(() => submit({ partition: "gpu\n#SBATCH --account=other" }), { instanceOf: UsageError, message: /^--partition: expected a partition name/ });
  t.throws(() => submit({ sbatchArg: ["--account=lab\nrm -rf ~"] }), { instanceOf: UsageError, message: /^--sbatch-arg: expected one sbatch option/ });
  t.throws(() => submit({ sbatchArg: ["account=lab"] }), { instanceOf: UsageError, message: /^--sbatch-arg/ });
  t.throws(() => submit({ out: join(tmpdir(), "my results", "run") }), { instanceOf: UsageError, message: /^--out: .*my results.* a space, quote/ });
  const ok = submit({ partition: "gpu,debug", sbatchArg: ["--account=lab", "--qos=high"] });
  t.regex(ok.script, /^#SBATCH --partition=gpu,debug /m);
  t.regex(ok.script, /^#SBATCH --account=lab /m);
});

test("the quick start as is (--shards 3, no GPU flag) asks for no GPU", (t) => {
  t.notRegex(submit({ shards: 3 }).script, /--gpus-per-task/);
});

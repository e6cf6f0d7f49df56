// Opt-in (GEMBENCH_TRANSFORMERS_PYTHON = a Python with torch and transformers; about 6 minutes on 2 cores, so run it
// with `npm run test:parity` or `npx ava --timeout=20m`): the quick
// start's grid (configs/quickstart.json: passkey NIAH on synthetic:retrieval-tiny, all five methods) on both engines
// with `--engine native,transformers`. retrieval-tiny's written weights, exported as an HF Llama folder, retrieve
// in transformers too: every method's exact-match mean is the same on both engines (dense 1.000, GemFilter 1.000,
// random 0.000), and every case's generated tokens are identical.
import test from "ava";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { engineAgreement } from "../reports/aggregate.ts";
import { runRecords } from "./helpers/gembench-run.ts";
import { skipMessage } from "./helpers/transformers.ts";

const skip = skipMessage("the quick start on the transformers engine");
if (skip) console.warn(skip);
const bin = fileURLToPath(new URL("../bin/gembench.js", import.meta.url));
const config = fileURLToPath(new URL("../configs/quickstart.json", import.meta.url));

(skip ? test.skip : test)("quickstart on both engines: the same exact-match table, the same tokens in every case", (t) => {
  const out = join(mkdtempSync(join(tmpdir(), "gembench-tf-quickstart-")), "run");
  const r = spawnSync(process.execPath, [bin, "run", config, "--engine", "native,transformers", "--out", out], { encoding: "utf8", timeout: 1_200_000 });
  t.is(r.status, 0, r.stderr.slice(-3000));
  const records = runRecords(out);
  t.is(records.length, 90);
  t.true(records.every((x) => x.status === "completed"));
  const rows = engineAgreement(records, { withModel: false });
  const table: Record<string, [number | null, number | null, number | null, number]> = Object.fromEntries(rows.map((x) => [x.variant.split(" ")[0], [x.native, x.other, x.agreement, x.paired]]));
  t.deepEqual(Object.keys(table), ["dense", "gemfilter", "snapkv", "h2o", "random"]);
  for (const [method, [native, other, agreement, paired]] of Object.entries(table)) {
    t.is(paired, 9, method);
    t.is(other, native, `${method}: exact match on both engines`);
    t.is(agreement, 1, `${method}: identical tokens in every case`);
  }
  t.is(table.dense![0], 1);
  t.is(table.gemfilter![0], 1);
  t.is(table.random![0], 0);
});

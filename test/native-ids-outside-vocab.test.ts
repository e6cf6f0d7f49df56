// Token ids outside the vocabulary are refused wherever they enter, naming the id and the vocabulary size: at the
// runner's protocol (inputIds, stopIds, eosIds: a stop id that can never be generated would silently never stop), at
// `gembench generate --ids`, and in a run, where a tokenizer that is not the model's makes them (one model error, not
// an errored record per case).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import test from "ava";
import { idOutsideVocab } from "../harness/preflight.ts";
import { openRunner } from "./helpers/native.ts";

const bin = fileURLToPath(new URL("../bin/gembench.js", import.meta.url));

test("runner: inputIds, stopIds and eosIds outside [0, vocab) are bad_input naming the list, the id and the vocabulary", async (t) => {
  const r = await openRunner();
  try {
    const loaded = await r.ok({ op: "load", model: "synthetic:tiny-llama" });
    const vocab = loaded.vocabSize as number;
    const refused = async (req: Record<string, unknown>, message: string) => {
      const reply = await r.send({ op: "generate", method: "dense", maxNewTokens: 2, inputIds: [1, 5], ...req });
      t.false(reply.ok);
      if (!reply.ok) {
        t.is(reply.error.code, "bad_input");
        t.is(reply.error.message, message);
      }
      t.true(r.alive());
    };
    await refused({ inputIds: [1, vocab] }, `token id ${vocab} at index 1 is outside the vocabulary [0, ${vocab})`);
    await refused({ stopIds: [3, vocab + 7] }, `stopIds[1] = ${vocab + 7} is outside the vocabulary [0, ${vocab})`);
    await refused({ eosIds: [vocab] }, `eosIds[0] = ${vocab} is outside the vocabulary [0, ${vocab})`);
    const ok = await r.ok({ op: "generate", method: "dense", maxNewTokens: 2, inputIds: [1, 5], stopIds: [vocab - 1], eosIds: [0] });
    t.is((ok.outputIds as number[]).length <= 2, true, "ids inside the vocabulary are taken");
  } finally {
    await r.close();
  }
});

test("gembench generate --ids with an id past the vocabulary: exit 2 naming --ids, the id and the vocab size", (t) => {
  const r = spawnSync(process.execPath, [bin, "generate", "--model", "synthetic:tiny-llama", "--method", "dense", "--ids", "1,2,999999", "--max-new-tokens", "1"], {
    encoding: "utf8",
    timeout: 60_000,
  });
  t.is(r.status, 2, r.stderr);
  t.regex(r.stderr, /--ids: token id 999999 \(position 2\) is outside synthetic:tiny-llama's vocabulary \[0, (\d+)\) \(vocab size \1\)/);
});

test("idOutsideVocab names the first id outside [0, vocab) of inputIds, stopIds, then eosIds", (t) => {
  t.is(idOutsideVocab({ caseId: "c", inputIds: [1, 2], stopIds: [9], eosIds: [3] }, 10), null);
  t.is(idOutsideVocab({ caseId: "c", inputIds: [1, 10], stopIds: [], eosIds: undefined }, 10), "case c: inputIds[1] = 10 is outside the model's vocabulary [0, 10) (vocab size 10)");
  t.is(idOutsideVocab({ caseId: "c", inputIds: [1], stopIds: [4, -1], eosIds: undefined }, 10), "case c: stopIds[1] = -1 is outside the model's vocabulary [0, 10) (vocab size 10)");
  t.is(idOutsideVocab({ caseId: "c", inputIds: [1], stopIds: [], eosIds: [12] }, 10), "case c: eosIds[0] = 12 is outside the model's vocabulary [0, 10) (vocab size 10)");
});

test("a run whose tokenizer makes ids past the model's vocabulary: one model error naming the case, the id and the vocab size, no records", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gembench-vocab-"));
  // The byte-level tokenizer (ids up to 258) on a model of 64 tokens: letters are ids 68 and up.
  const config = {
    name: "vocab",
    models: [{ id: "synthetic:tiny-llama", overrides: { vocab_size: 64 } }],
    engines: [{ method: "dense" }],
    suites: [{ name: "niah", options: { variant: "passkey", lengths: [400], depths: [50] } }],
    run: { maxNewTokens: 2 },
  };
  writeFileSync(join(dir, "c.json"), JSON.stringify(config));
  const out = join(dir, "run");
  const r = spawnSync(process.execPath, [bin, "run", join(dir, "c.json"), "--out", out], { encoding: "utf8", timeout: 120_000 });
  t.is(r.status, 1, r.stderr);
  t.regex(r.stderr, /model synthetic:tiny-llama: case len400-depth50: inputIds\[1\] = \d+ is outside the model's vocabulary \[0, 64\) \(vocab size 64\); its tokenizer is not this model's/);
  t.false(existsSync(join(out, "records.jsonl")) && readFileSync(join(out, "records.jsonl"), "utf8").trim() !== "");
});

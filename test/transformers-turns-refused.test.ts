// Opt-in (GEMBENCH_TRANSFORMERS_PYTHON): the transformers engine's server refuses a generate request with `turns`
// (it does not implement context-only compression or several questions per context) with `unsupported` and the reason,
// instead of answering the context alone as if it were the whole prompt; its hello lists no turn modes.
import test from "ava";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createTransformersEngineFactory } from "../engines/transformers/engine.ts";
import { peerPython, skipMessage } from "./helpers/transformers.ts";

const stories = join(import.meta.dirname, "..", "..", "shared", "models", "stories260K");
const skip = skipMessage("the transformers turns refusal test") ?? (existsSync(stories) ? null : "skipping: ../shared/models/stories260K is not there");
if (skip) console.warn(skip);

(skip ? test.skip : test)("server.py: turns → unsupported, hello without turnModes", async (t) => {
  const tf = await createTransformersEngineFactory({ python: peerPython, log: () => undefined })("cpu");
  try {
    t.deepEqual(tf.info.turnModes ?? [], []);
    const T = { timeoutMs: 300_000 };
    t.true((await tf.load({ model: stories, overrides: {}, seed: 0, dtype: "f32", maxContext: null }, T)).ok);
    const out = await tf.generate({ inputIds: [1, 5, 6, 7, 8], method: { name: "dense", params: {} }, maxNewTokens: 2, minNewTokens: 0, stopIds: [], ignoreEos: true, returnSelection: false, allowLongInput: false, turns: [{ inputIds: [9, 10] }], turnMode: "multi-request" }, T);
    t.false(out.ok);
    if (!out.ok && out.failure.kind === "error") {
      t.is(out.failure.code, "unsupported");
      t.regex(out.failure.message, /does not implement turns/);
    } else t.fail(JSON.stringify(out));
  } finally {
    await tf.close();
  }
});

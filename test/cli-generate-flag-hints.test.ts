// `gembench generate` speaks in the flags the user typed: a bad --device names --device (not run's --devices), and
// the hints of a timeout or an over-long input name --timeout-ms and --allow-long-input, not the config keys.
import test from "ava";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../bin/gembench.js", import.meta.url));
const generate = (...args: string[]) =>
  spawnSync(process.execPath, [bin, "generate", "--model", "synthetic:tiny-llama", "--method", "dense", ...args], { encoding: "utf8", timeout: 60_000 });

test("--device gpu0 and --device 0,1: exit 2 naming --device", (t) => {
  for (const device of ["gpu0", "0,1"]) {
    const r = generate("--device", device, "--ids", "1,5,6");
    t.is(r.status, 2, r.stderr);
    t.regex(r.stderr, new RegExp(`--device: expected "cpu" or a GPU index like "0", got "${device}"`));
    t.notRegex(r.stderr, /--devices/);
  }
});

test("a timeout's hint names --timeout-ms; an over-long input's names --allow-long-input", (t) => {
  // (2000 tokens: some milliseconds even for the tiny model, so the 1 ms limit is always passed — 32 once took 0.9 ms)
  const slow = generate("--timeout-ms", "1", "--ids", "1,5,6", "--max-new-tokens", "2000", "--ignore-eos");
  t.is(slow.status, 1, slow.stderr);
  t.regex(slow.stderr, /hint: raise --timeout-ms/);
  t.notRegex(slow.stderr + slow.stdout, /run\.timeoutMs/);
  const long = generate("--override", "max_position_embeddings=8", "--ids", "1,5,6,7,8,9", "--max-new-tokens", "4");
  t.is(long.status, 1, long.stderr);
  t.regex(long.stderr, /pass --allow-long-input/);
  t.notRegex(long.stderr + long.stdout, /allowLongInput/);
});

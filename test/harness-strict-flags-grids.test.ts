// Strict everywhere: every numeric flag and list is parsed strictly ("", ",", "1,,3", "abc", "0x10", "1e3" are
// refused, never read as 0 or some other number); unknown keys are refused in every suite's options; a range
// like "1..100000000" is refused by name without building it; a grid above LARGE_GRID_CELLS cells needs
// --allow-large-grid. Each refusal is exit 2 before any runner starts or any file is written.
import test from "ava";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../core/errors.ts";
import { parseDevices, parseIds, parseInteger, parseParamValue } from "../cli/args.ts";
import { main } from "../cli/main.ts";
import { suites } from "../datasets/index.ts";
import { ConfigError, gridSize, LARGE_GRID_CELLS, MAX_AXIS_VALUES, MAX_ENGINE_COMBINATIONS, parseConfig } from "../harness/config.ts";

const root = mkdtempSync(join(tmpdir(), "gembench-strict-"));

test("integers and lists: exact messages, nothing read as 0", (t) => {
  for (const bad of ["", " 5", "abc", "0x10", "1e3", "-1", "1.5", "9007199254740993"]) {
    t.throws(() => parseInteger("--seed", bad, 0), { instanceOf: UsageError, message: `--seed: expected a non-negative integer, got ${JSON.stringify(bad)}` });
  }
  t.is(parseInteger("--seed", "0", 0), 0);
  t.throws(() => parseInteger("--limit", "0", 1), { message: '--limit: expected a positive integer, got "0"' });
  for (const bad of ["", ",", "1,,3", "1,", ",1"]) {
    t.throws(() => parseIds(bad), { instanceOf: UsageError, message: `--ids: expected comma-separated token ids like 1,2,3, got ${JSON.stringify(bad)} (an empty entry)` });
  }
  t.throws(() => parseIds("1,x,3"), { message: '--ids: expected a non-negative integer, got "x"' });
  t.deepEqual(parseIds("1, 2,3"), [1, 2, 3]);
  t.throws(() => parseDevices("0,,1"), { instanceOf: UsageError, message: /--devices: .*\(an empty entry\)/ });
  t.deepEqual(parseDevices("cpu"), ["cpu"]);
  // --param values: JSON numbers become numbers; "0x10", " 5", "Infinity" stay strings (the parameter schema refuses them).
  t.is(parseParamValue("1024"), 1024);
  t.is(parseParamValue("0.5"), 0.5);
  t.is(parseParamValue("0x10"), "0x10");
  t.is(parseParamValue(" 5"), " 5");
  t.is(parseParamValue("Infinity"), "Infinity");
});

test("the CLI exits 2 on each bad flag value, before a runner starts", async (t) => {
  const gen = ["generate", "--model", "synthetic:tiny-llama", "--method", "dense"];
  const cases: string[][] = [
    [...gen, "--ids", ""],
    [...gen, "--ids", ","],
    [...gen, "--ids", "1,,3"],
    [...gen, "--ids", "1", "--seed", "abc"],
    [...gen, "--ids", "1", "--seed", "-1"],
    [...gen, "--ids", "1", "--max-new-tokens", "0x10"],
    ["generate", "--model", "synthetic:tiny-llama", "--method", "random", "--ids", "1", "--param", "k=0x10"],
    ["run", "configs/quickstart.json", "--limit", "1e3"],
    ["run", "configs/quickstart.json", "--devices", "0,,1"],
    ["compare", "a", "b", "--max-time-ratio", "0x2"],
  ];
  for (const argv of cases) t.is(await main(argv), 2, argv.join(" "));
});

test("every suite refuses unknown option keys; LongBench's \"dataset\" typo is named", (t) => {
  for (const [name, suite] of Object.entries(suites)) {
    const r = suite.options.safeParse({ zzzNotAnOption: 1 });
    t.false(r.success, name);
    if (!r.success) t.true(r.error.issues.some((i) => i.code === "unrecognized_keys" && i.keys.includes("zzzNotAnOption")), name);
  }
  const e = t.throws(
    () => parseConfig({ name: "t", models: ["synthetic:tiny-llama"], engines: [{ method: "dense" }], suites: [{ name: "longbench", options: { dir: "x", dataset: ["trec"] } }] }, { source: "c.json", baseDir: root, suites }),
    { instanceOf: ConfigError },
  );
  t.deepEqual(e?.problems, ['suites[0].options: unknown key "dataset"']);
});

test("ranges and grids: a huge range is refused by name at once; the grid size is counted without building it", (t) => {
  const config = (params: Record<string, unknown>) => ({ name: "t", models: ["synthetic:tiny-llama"], engines: [{ method: "gemfilter", params }], suites: [{ name: "niah", options: {} }] });
  const started = Date.now();
  const e = t.throws(() => parseConfig(config({ filterLayer: "1..100000000", k: 64 }), { source: "c.json", baseDir: root, suites }), { instanceOf: ConfigError });
  t.deepEqual(e?.problems, [`engines[0].params.filterLayer: range "1..100000000" has 100000000 values; at most ${MAX_AXIS_VALUES} per parameter (a typo?)`]);
  const e2 = t.throws(() => parseConfig(config({ filterLayer: "0..99999999999999999999", k: 64 }), { source: "c.json", baseDir: root, suites }), { instanceOf: ConfigError });
  t.regex(e2?.problems[0] ?? "", /must be integers below 2\^53/);
  const e3 = t.throws(() => parseConfig(config({ filterLayer: "0..999", k: "1..1000" }), { source: "c.json", baseDir: root, suites }), { instanceOf: ConfigError });
  t.deepEqual(e3?.problems, [`engines[0].params: 1000000 parameter combinations; at most ${MAX_ENGINE_COMBINATIONS} per engine entry`]);
  t.true(Date.now() - started < 5_000);
  t.is(gridSize({ models: [{}, {}] as never, suites: [{}, {}, {}] as never, engines: [{ method: "a", engine: ["native"], axes: { x: [1, 2], y: [1, 2, 3] } }, { method: "b", engine: ["native"], axes: {} }] }), 2 * 3 * (6 + 1));
});

test(`a grid over ${LARGE_GRID_CELLS} cells needs --allow-large-grid (exit 2 without it, nothing written)`, async (t) => {
  const cfg = join(root, "large.json");
  writeFileSync(cfg, JSON.stringify({ name: "large", models: ["synthetic:tiny-llama"], engines: [{ method: "gemfilter", params: { filterLayer: 0, k: `1..${LARGE_GRID_CELLS + 1}` } }], suites: [{ name: "niah", options: {} }] }));
  const out = join(root, "large-out");
  t.is(await main(["run", cfg, "--out", out]), 2);
  t.false(existsSync(out));
  // With the flag the grid check passes and the run gets as far as the run folder (a file here, so it stops there).
  const file = join(root, "a-file");
  writeFileSync(file, "x");
  const stderr: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => (stderr.push(String(s)), true)) as typeof process.stderr.write;
  try {
    t.is(await main(["run", cfg, "--out", file, "--allow-large-grid"]), 2);
  } finally {
    process.stderr.write = write;
  }
  t.regex(stderr.join(""), /a-file is not a folder/);
});

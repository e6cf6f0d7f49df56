// Every file gembench reads is a regular file of bounded size, and a bad one is named: a FIFO or a link to /dev/zero
// in place of a config, records file or prediction file is exit 2 within seconds (it used to hang or grow without
// bound); a corrupt records file given to compare or report is exit 2 (unreadable input), not 1 (a regression); a
// broken tokenizer.json fails its model only — the run's other models still run.
import test from "ava";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "../core/errors.ts";
import { MAX_BYTES, readTextFile } from "../core/files.ts";
import { loadRunRecords } from "../core/results.ts";
import { loadTokenizer } from "../harness/tokenizer.ts";
import { runInProcess, toySuites } from "./helpers/harness-toy-suite.ts";
import { dense, niahRecord } from "./helpers/records.ts";
import { NEED, needsShared, STORIES } from "./helpers/shared.ts";

const bin = fileURLToPath(new URL("../bin/gembench.js", import.meta.url));
const stories = STORIES;
const root = mkdtempSync(join(tmpdir(), "gembench-files-"));

function gembench(...args: string[]) {
  const started = Date.now();
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}
const fifo = (name: string): string => {
  const p = join(root, name);
  execFileSync("mkfifo", [p]);
  return p;
};

test("the reader: regular files only, bounded, a BOM dropped, every failure an InputError naming the file", (t) => {
  const text = join(root, "bom.json");
  writeFileSync(text, "\uFEFF{\"a\":1}");
  t.is(readTextFile(text, { maxBytes: 100, what: "thing" }), '{"a":1}');
  t.throws(() => readTextFile(text, { maxBytes: 5, what: "thing" }), { instanceOf: InputError, message: /thing .*bom\.json is 10 bytes, more than the 5 such a file can be/ });
  t.throws(() => readTextFile(fifo("reader.fifo"), { maxBytes: MAX_BYTES.data, what: "thing" }), { instanceOf: InputError, message: /reader\.fifo is a FIFO, not a regular file/ });
  t.throws(() => readTextFile("/dev/zero", { maxBytes: MAX_BYTES.data, what: "thing" }), { instanceOf: InputError, message: /\/dev\/zero is a character device/ });
  t.throws(() => readTextFile(root, { maxBytes: MAX_BYTES.data, what: "thing" }), { instanceOf: InputError, message: /is a folder/ });
  t.throws(() => readTextFile(join(root, "nope"), { maxBytes: MAX_BYTES.data, what: "thing" }), { instanceOf: InputError, message: /thing .*nope does not exist/ });
});

test("a missing model or tokenizer folder says so (not \"no tokenizer.json\")", (t) => {
  t.throws(() => loadTokenizer(join(root, "no-model"), null), { instanceOf: InputError, message: `model folder ${join(root, "no-model")} does not exist` });
  t.throws(() => loadTokenizer("synthetic:tiny-llama", join(root, "no-tok")), { instanceOf: InputError, message: `tokenizer folder ${join(root, "no-tok")} does not exist` });
});

needsShared([NEED.stories])("a broken tokenizer_config.json is named", (t) => {
  const tok = join(root, "tok-broken-config");
  cpSync(stories, tok, { recursive: true });
  writeFileSync(join(tok, "tokenizer_config.json"), "{", { mode: 0o644 });
  t.throws(() => loadTokenizer(tok, null), { instanceOf: InputError, message: /^tokenizer_config\.json .*tok-broken-config\/tokenizer_config\.json is not valid JSON/ });
});

test("a config that is a FIFO or a link to /dev/zero: exit 2 at once, naming it", (t) => {
  const f = gembench("run", fifo("config.fifo"), "--out", join(root, "out-fifo"));
  t.is(f.code, 2, f.stderr);
  t.regex(f.stderr, /config\.fifo is a FIFO, not a regular file/);
  t.true(f.ms < 30_000);
  const zero = join(root, "zero.json");
  symlinkSync("/dev/zero", zero);
  const z = gembench("run", zero, "--out", join(root, "out-zero"));
  t.is(z.code, 2, z.stderr);
  t.regex(z.stderr, /zero\.json is a character device/);
});

test("compare and report: a corrupt, FIFO or device records file is exit 2 naming it (1 means a regression)", (t) => {
  const good = join(root, "good");
  mkdirSync(good);
  const line = JSON.stringify(niahRecord({ method: dense, contextLength: 1000, depthPercent: 0, score: 1 }));
  writeFileSync(join(good, "records.jsonl"), `${line}\n`);
  const corrupt = join(root, "corrupt");
  mkdirSync(corrupt);
  writeFileSync(join(corrupt, "records.jsonl"), `${line}\n{"schema": 1, "trunc\n${line}\n`);
  const c = gembench("compare", good, corrupt);
  t.is(c.code, 2, c.stderr);
  t.regex(c.stderr, /corrupt\/records\.jsonl:2: not valid JSON/);
  t.is(c.stdout, "");
  const rep = gembench("report", corrupt);
  t.is(rep.code, 2, rep.stderr);
  t.regex(rep.stderr, /records\.jsonl:2: not valid JSON/);
  const notRecord = join(root, "not-record");
  mkdirSync(notRecord);
  writeFileSync(join(notRecord, "records.jsonl"), `{"hello": "world"}\n`);
  t.is(gembench("compare", good, notRecord).code, 2);
  const piped = join(root, "piped");
  mkdirSync(piped);
  execFileSync("mkfifo", [join(piped, "records.jsonl")]);
  const p = gembench("compare", good, piped);
  t.is(p.code, 2, p.stderr);
  t.regex(p.stderr, /records\.jsonl is a FIFO/);
  const s = gembench("score", "longbench", "--dataset", "trec", "--predictions", fifo("preds.fifo"));
  t.is(s.code, 2, s.stderr);
  t.regex(s.stderr, /preds\.fifo is a FIFO/);
});

needsShared([NEED.stories])("a broken tokenizer.json fails its model only: named in modelErrors, the other model's cases all complete", async (t) => {
  const broken = join(root, "stories-broken-tokenizer");
  cpSync(stories, broken, { recursive: true });
  const tokPath = join(broken, "tokenizer.json");
  writeFileSync(tokPath, readFileSync(tokPath, "utf8").slice(0, 500), { mode: 0o644 });
  const raw = {
    name: "broken-tokenizer",
    models: [broken, { id: "synthetic:tiny-llama", overrides: { num_hidden_layers: 1 } }],
    engines: [{ method: "dense" }],
    suites: [{ name: "toy", options: { cases: 2, length: 12 } }],
  };
  const out = join(root, "run-broken-tokenizer");
  const summary = await runInProcess(raw, out, toySuites);
  t.is(summary.modelErrors.length, 1);
  t.regex(summary.modelErrors[0]!, /stories-broken-tokenizer\/tokenizer\.json is not valid JSON/);
  const records = loadRunRecords(out);
  t.is(records.length, 2);
  t.true(records.every((r) => r.model.id === "synthetic:tiny-llama" && r.status === "completed"));
  t.is(summary.completed, 2);
});

// Stale results: a model folder's own tokenizer files (tokenizer.json, tokenizer_config.json with its chat template,
// chat_template.jinja) and generation_config.json are part of its cells' keys even when the config names no tokenizer,
// so an edited tokenizer never resumes as "already done"; two copies of one folder in one config are refused, both named.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../core/errors.ts";
import { parseConfig } from "../harness/config.ts";
import { expandSweep } from "../harness/sweep.ts";
import { toySuites } from "./helpers/harness-toy-suite.ts";
import { NEED, STORIES, needsShared } from "./helpers/shared.ts";

const withStories = needsShared([NEED.stories]);

function copyModel(): string {
  const dir = join(mkdtempSync(join(tmpdir(), "gembench-tokkey-")), "stories");
  cpSync(STORIES, dir, { recursive: true });
  return dir;
}

const keyOf = (models: unknown[]): string[] =>
  expandSweep(parseConfig({ name: "k", models, engines: [{ method: "dense" }], suites: [{ name: "toy" }] }, { source: "c.json", baseDir: "/", suites: toySuites })).map(
    (c) => c.cellKey,
  );

withStories("editing the model folder's tokenizer.json, tokenizer_config.json, chat template or generation_config.json changes its cell key", (t) => {
  const dir = copyModel();
  const k0 = keyOf([dir])[0]!;
  t.is(keyOf([dir])[0], k0, "unchanged folder, unchanged key");
  const edits: [string, (s: string) => string][] = [
    ["tokenizer.json", (s) => s.replace('"<unk>"', '"<UNK>"')],
    ["tokenizer_config.json", (s) => JSON.stringify({ ...JSON.parse(s), chat_template: "{{ messages[0].content }}" })],
    ["chat_template.jinja", () => "{{ messages[0].content }}!"],
    ["generation_config.json", (s) => JSON.stringify({ ...JSON.parse(s), eos_token_id: 1 })],
  ];
  const keys = [k0];
  for (const [file, edit] of edits) {
    const p = join(dir, file);
    let before = "";
    try {
      before = readFileSync(p, "utf8");
    } catch {
      /* chat_template.jinja is new */
    }
    const after = edit(before);
    t.not(after, before, `${file} edited`);
    writeFileSync(p, after);
    keys.push(keyOf([dir])[0]!);
  }
  t.is(new Set(keys).size, keys.length, `every edit a new key: ${keys.join(" ")}`);
});

withStories("two copies of one model folder in one config are refused (a usage error naming both)", (t) => {
  const a = copyModel();
  const b = copyModel();
  const e = t.throws(() => keyOf([{ id: a, name: "first" }, { id: b, name: "second" }]));
  t.true(e instanceof UsageError);
  t.regex(e.message, /models\[0\] "first" \(.*stories\) and models\[1\] "second" \(.*stories\)/);
  // A tokenizer edit in the second copy makes it a different model: both run.
  writeFileSync(join(b, "tokenizer_config.json"), JSON.stringify({ ...JSON.parse(readFileSync(join(b, "tokenizer_config.json"), "utf8")), chat_template: "x" }));
  t.is(new Set(keyOf([a, b])).size, 2);
});

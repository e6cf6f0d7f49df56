// Test data that lives outside the repository: ../shared beside the checkout (a real tiny model, the Paul Graham
// essays, the LongBench files). CI provides it (README, "Tests"); a plain clone has none of it. A test that needs it
// is declared with needsShared(...): when a path is absent the test is registered as SKIPPED, its title naming what
// is missing, so it is listed among the skips and never counts as a passed check.
import test, { type ExecutionContext } from "ava";
import { existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SHARED = join(root, "..", "shared");
export const STORIES = join(SHARED, "models", "stories260K");
export const ESSAYS = join(SHARED, "data", "paul-graham-essays");
export const SHARED_LONGBENCH = join(SHARED, "data", "longbench");
/** The paths needsShared checks for each kind of data (a folder may exist half-filled). */
export const NEED = {
  stories: join(STORIES, "tokenizer.json"),
  storiesReference: join(STORIES, "reference.json"),
  essays: ESSAYS,
  longbench: join(SHARED_LONGBENCH, "multi_news.jsonl"),
} as const;

type Impl = (t: ExecutionContext) => unknown;

/** `test` (or `test.serial`) when every path exists; otherwise a visible skip naming the missing paths. */
export function needsShared(paths: string[], opts: { serial?: boolean } = {}): (title: string, fn: Impl) => void {
  const missing = paths.filter((p) => !existsSync(p)).map((p) => relative(root, p));
  const run = opts.serial ? test.serial : test;
  if (missing.length === 0) return (title, fn) => run(title, fn);
  const skip = opts.serial ? test.serial.skip : test.skip;
  return (title, fn) => skip(`${title} [skipped: ${missing.join(", ")} absent — ../shared beside the checkout, see README "Tests"]`, fn);
}

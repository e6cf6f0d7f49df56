// At short lengths several depths put the needle at the same token (the boundary rule moves each back to the same
// period): they are merged into one case (the first depth's), which lists every depth it stands for and carries the
// needle's actual token position; the run says so. Exact positions on a hand-built haystack.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { ByteTokenizer } from "../harness/tokenizer.ts";
import { niahSuite } from "../datasets/niah/index.ts";

test("depths 0, 5 and 8 of a 180-byte context all land on token 0: one case, mergedDepths 0,5,8; the others keep their exact positions", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "niah-collapse-"));
  // 18 bytes per sentence; the "." of sentence i sits at byte 18 i + 16.
  writeFileSync(join(dir, "h.txt"), "The cat sat down. ".repeat(40));
  const opts = niahSuite.options.parse({
    haystack: dir,
    lengths: [186],
    depths: [0, 5, 8, 10, 33, 50],
    needle: "NEEDLE",
    promptTemplate: "{context}",
    addBos: false,
  });
  const logs: string[] = [];
  const cases = await niahSuite.buildCases(opts, { tokenizer: new ByteTokenizer(), model: { id: "synthetic:test", name: "test", maxPositions: 1_000_000, eosIds: [2] }, baseDir: dir, log: (m) => logs.push(m) });
  // budget 180 context bytes: depth 5 → int(9.0) = 9, depth 8 → int(14.4) = 14, both back to 0 (no period before byte 16);
  // depth 10 → 18 → 17 (after the "." at 16); 33 → 59 → 53; 50 → 90 → 89.
  t.deepEqual(
    cases.map((c) => [c.caseId, c.caseMeta.needleStart, c.caseMeta.mergedDepths ?? null]),
    [
      ["len186-depth0", 0, "0,5,8"],
      ["len186-depth10", 17, null],
      ["len186-depth33", 53, null],
      ["len186-depth50", 89, null],
    ],
  );
  t.deepEqual(logs, ["niah: length 186: depths 0, 5, 8 all put the needle at token 0 of 186; run once, as depth 0 (caseMeta.mergedDepths)"]);
});

test("a length long enough to tell every depth apart keeps every case (nothing merged)", async (t) => {
  const opts = niahSuite.options.parse({ variant: "passkey", lengths: [2000], depths: [0, 11, 22, 33, 44, 56, 67, 78, 89, 100] });
  const logs: string[] = [];
  const cases = await niahSuite.buildCases(opts, { tokenizer: new ByteTokenizer(), model: { id: "synthetic:test", name: "test", maxPositions: 1_000_000, eosIds: [2] }, baseDir: ".", log: (m) => logs.push(m) });
  t.is(cases.length, 10);
  t.is(new Set(cases.map((c) => c.caseMeta.needleStart)).size, 10);
  t.false(cases.some((c) => "mergedDepths" in c.caseMeta));
  t.deepEqual(logs, []);
});

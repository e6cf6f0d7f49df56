// Small RULER data fixtures made by the tests: an essay folder (our built-in generated prose, no real essays), a
// SQuAD v2-shaped file and a HotpotQA-shaped file with made-up articles and questions.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtinHaystackText } from "../../datasets/niah/haystack.ts";

export interface RulerFixtures {
  dir: string;
  essays: string;
  squad: string;
  hotpotqa: string;
}

export function rulerFixtures(): RulerFixtures {
  const dir = mkdtempSync(join(tmpdir(), "gembench-ruler-"));
  const essays = join(dir, "essays");
  mkdirSync(essays);
  writeFileSync(join(essays, "a.txt"), builtinHaystackText(1, 20_000));
  writeFileSync(join(essays, "b.txt"), builtinHaystackText(2, 20_000));
  const squad = {
    version: "v2.0",
    data: Array.from({ length: 6 }, (_, a) => ({
      title: `Article ${a}`,
      paragraphs: Array.from({ length: 3 }, (_, p) => ({
        context: `The river town of Velm${a}${p} was founded in ${1500 + 10 * a + p} by a guild of millers.`,
        qas: [
          { id: `q${a}${p}`, question: `When was Velm${a}${p} founded?`, answers: [{ text: `${1500 + 10 * a + p}`, answer_start: 0 }, { text: `in ${1500 + 10 * a + p}`, answer_start: 0 }], is_impossible: false },
          { id: `x${a}${p}`, question: `Who demolished Velm${a}${p}?`, answers: [], is_impossible: true },
        ],
      })),
    })),
  };
  const hotpot = Array.from({ length: 4 }, (_, i) => ({
    _id: `h${i}`,
    question: `Which town beside lake Orn${i} has the older bridge?`,
    answer: `Tessel${i}`,
    context: Array.from({ length: 10 }, (_, j) => [`Town ${i}-${j}`, [`Town ${i}-${j} lies on lake Orn${i}. `, `Its bridge was built in ${1700 + j}.`]]),
  }));
  writeFileSync(join(dir, "squad.json"), JSON.stringify(squad));
  writeFileSync(join(dir, "hotpot.json"), JSON.stringify(hotpot));
  return { dir, essays, squad: join(dir, "squad.json"), hotpotqa: join(dir, "hotpot.json") };
}

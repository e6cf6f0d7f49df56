import test from "ava";
import { classificationScore } from "../datasets/longbench/metrics.ts";

test("classification: official list-mutation skip: ['Other','Oth','Other number'] with answer 'Other number' → 0.5", (t) => {
  const classes = ["Other", "Oth", "Other number"];
  t.is(classificationScore("Other number", "Other number", classes), 0.5);
  // corrected: every substring-of-answer class is removed → only the answer remains
  t.is(classificationScore("Other number", "Other number", classes, "corrected"), 1);
});

test("classification: 1/len(matches) when the answer is among the matched classes, else 0", (t) => {
  t.is(classificationScore("Entity", "Entity", ["Abbreviation", "Entity"]), 1);
  t.is(classificationScore("Location or Entity", "Entity", ["Location", "Entity", "Human"]), 0.5);
  t.is(classificationScore("Human", "Entity", ["Location", "Entity", "Human"]), 0);
  t.is(classificationScore("nothing", "Entity", ["Location", "Entity"]), 0);
});

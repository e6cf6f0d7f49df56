import test from "ava";
import { Jieba } from "@node-rs/jieba";
import { dict } from "@node-rs/jieba/dict.js";
import { jiebaCut } from "../datasets/longbench/jieba.ts";

// Expected tokens are Python jieba 0.42.1's (jieba.cut(s, cut_all=False)), traced through finalseg: a run of
// dictionary-less single characters goes to the HMM, whose non-Chinese part is split by [a-zA-Z0-9]+(?:\.\d+)?%? —
// a literal dot, so "2-3" is three tokens.
const CASES: [string, string[]][] = [
  ["版本2-3号", ["版本", "2", "-", "3", "号"]],
  ["2014-2016年工作总结", ["2014", "-", "2016", "年", "工作", "总结"]],
  ["COVID-19疫情", ["COVID", "-", "19", "疫情"]],
  ["x86-64架构", ["x86", "-", "64", "架构"]],
  ["alt+4键", ["alt", "+", "4", "键"]],
  ["1+1+9工作", ["1", "+", "1", "+", "9", "工作"]],
  // greedy re_skip continues from where the last match ended: "XXXXX", "-", "202X" (not "XXXXX-202", "X")
  ["XXXXX-202X号", ["XXXXX", "-", "202X", "号"]],
  ["B8%8A%中文", ["B8%", "8A%", "中文"]],
  // the literal dot does join decimals
  ["hello  3.14", ["hello", " ", " ", "3.14"]],
];

test("jieba: non-Chinese runs inside the HMM step split as Python's finalseg does (jieba-rs joins '2-3')", (t) => {
  for (const [text, tokens] of CASES) t.deepEqual(jiebaCut(text), tokens, text);
  // the package's own cut gets these wrong (why jieba.ts exists); if it ever agrees, jieba.ts could go back to it
  const rs = Jieba.withDict(dict);
  t.deepEqual(rs.cut("版本2-3号", true), ["版本", "2-3", "号"]);
  t.deepEqual(rs.cut("XXXXX-202X号", true), ["XXXXX-202", "X", "号"]);
});

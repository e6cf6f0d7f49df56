import test from "ava";
import { jiebaCut, normalizeZhAnswer, qaF1ZhScore } from "../datasets/longbench/metrics.ts";

test("jieba precise mode with HMM: known segmentations of jieba's default dictionary", (t) => {
  // jieba's README example: 杭研 is found by the HMM (not in the dictionary)
  t.deepEqual(jiebaCut("他来到了网易杭研大厦"), ["他", "来到", "了", "网易", "杭研", "大厦"]);
  t.deepEqual(jiebaCut("我来到北京清华大学"), ["我", "来到", "北京", "清华大学"]);
  // non-Chinese runs: English/number blocks kept whole, each whitespace character a token of its own
  t.deepEqual(jiebaCut("hello  3.14"), ["hello", " ", " ", "3.14"]);
});

test("jieba block rules traced by hand through Python jieba 0.42.1's cut / __cut_DAG / finalseg", (t) => {
  // ',' is outside the han-block regex; "000人" is one block whose single-char run goes through finalseg, which splits
  // the ASCII digits off the Chinese
  t.deepEqual(jiebaCut("1,000人"), ["1", ",", "000", "人"]);
  // "e-mail" is not in the dictionary: finalseg's re_skip keeps only [a-zA-Z0-9] runs together
  t.deepEqual(jiebaCut("e-mail地址"), ["e", "-", "mail", "地址"]);
  // fullwidth digits and ． are outside the block regex: one token each; "\r\n" is one skip token
  t.deepEqual(jiebaCut("３．１４元"), ["３", "．", "１", "４", "元"]);
  t.deepEqual(jiebaCut("a\r\nb"), ["a", "\r\n", "b"]);
  // CJK Extension A (㐀) is outside Python's \u4E00-\u9FD5 range: a token of its own, never merged by the HMM
  t.deepEqual(jiebaCut("我㐀你好"), ["我", "㐀", "你好"]);
  // dictionary entries with symbols
  t.deepEqual(jiebaCut("C++和C#"), ["C++", "和", "C#"]);
});

test("normalize_zh_answer: 》 is removed but 《 and the fullwidth period ． are not", (t) => {
  t.is(normalizeZhAnswer("《红楼梦》"), "《红楼梦");
  t.is(normalizeZhAnswer("答案．"), "答案．");
  t.is(normalizeZhAnswer("Ａ B。"), "ａb");
});

test("qa_f1_zh: cut first, normalise each token, drop empty tokens", (t) => {
  t.is(qaF1ZhScore("厦门大学", "厦门大学。"), 1);
  // pred tokens [《, 红楼梦] (》 normalised away), gold [红楼梦]: p = 0.5, r = 1
  t.is(qaF1ZhScore("《红楼梦》", "红楼梦"), (2 * 0.5 * 1) / 1.5);
  t.is(qaF1ZhScore("", "红楼梦"), 0);
  t.is(qaF1ZhScore("", ""), 0);
});

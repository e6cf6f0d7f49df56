import test from "ava";
import { jiebaCut, jiebaDictTotal, pyLog } from "../datasets/longbench/jieba.ts";

const bits = (x: number): string => {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x);
  return Array.from(new Uint8Array(v.buffer), (b) => b.toString(16).padStart(2, "0")).join("");
};

test("route log: correctly rounded like glibc's log (Python's math.log), not V8's Math.log", (t) => {
  // bit patterns of Python 3.11 math.log on Linux; V8's Math.log is one ulp off on each of these
  t.is(bits(pyLog(3)), "3ff193ea7aad030b");
  t.is(bits(pyLog(48)), "400ef8383c50bb75");
  t.is(bits(pyLog(74)), "4011375cd6fcab1d");
  t.is(bits(pyLog(185)), "4014e1a4f518c72b");
  t.is(pyLog(1), 0);
  t.is(pyLog(2), Math.LN2);
  t.is(bits(pyLog(60101967)), "4031e95b8bb84672");
});

test("route: Python's dictionary total (its dict.txt lists 'B超 3 n' twice) and its segmentations", (t) => {
  t.is(jiebaDictTotal(), 60101967);
  t.deepEqual(jiebaCut("我来到北京清华大学"), ["我", "来到", "北京", "清华大学"]);
  t.deepEqual(jiebaCut("他来到了网易杭研大厦"), ["他", "来到", "了", "网易", "杭研", "大厦"]); // 杭研 by the HMM
  t.deepEqual(jiebaCut("慎夫人说"), ["慎夫人", "说"]);
  t.deepEqual(jiebaCut(""), []);
});

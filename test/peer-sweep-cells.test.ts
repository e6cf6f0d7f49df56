// With a peer, each model's cells are followed by a peer twin of every bench cell whose method the peer implements
// (dense, gemfilter; snapkv and h2o with one cache per KV head, h2o without evictDuringDecode): same model, method, params and suite, engine "transformers", a cellKey of its own (so resume and
// `compare` never mistake one for the other), and our own cells' keys unchanged by adding the peer.
import test from "ava";
import { suites } from "../datasets/index.ts";
import { parseConfig } from "../harness/config.ts";
import { expandSweep } from "../harness/sweep.ts";

const base = {
  name: "p",
  models: ["synthetic:tiny-llama", "synthetic:tiny-mistral"],
  engines: [
    { method: "dense" },
    { method: "snapkv", params: { k: 64, gqa: ["mean", "per-query-head"] } },
    { method: "gemfilter", params: { filterLayer: 1, k: [16, 32] } },
    { method: "h2o", params: { k: 64, evictDuringDecode: [false, true] } },
  ],
  suites: [{ name: "bench", options: { lengths: [64] } }],
};
const cells = (v: unknown) => expandSweep(parseConfig(v, { source: "p.json", baseDir: "/cfg", suites }));

test("peer twins of dense, gemfilter, snapkv and h2o cells follow each model's cells; per-query-head snapkv and evicting h2o have none", (t) => {
  const got = cells({ ...base, peer: { engine: "transformers" } });
  const H2O = "h2o k=64 gqa=mean";
  const H2O_EVICT = "h2o k=64 gqa=mean evictDuringDecode=true";
  const ours = ["dense", "snapkv k=64 gqa=mean", "snapkv k=64 gqa=per-query-head", "gemfilter r=1 k=16", "gemfilter r=1 k=32", H2O, H2O_EVICT];
  const peer = ["dense", "snapkv k=64 gqa=mean", "gemfilter r=1 k=16", "gemfilter r=1 k=32", H2O];
  t.deepEqual(
    got.map((c) => `${c.model.id} ${c.engine} ${c.method.label}`),
    ["synthetic:tiny-llama", "synthetic:tiny-mistral"].flatMap((m) => [...ours.map((l) => `${m} native ${l}`), ...peer.map((l) => `${m} transformers ${l}`)]),
  );
  t.deepEqual(got.map((c) => c.index), got.map((_, i) => i));
});

test("peer cells have keys of their own; ours keep the keys they have without a peer", (t) => {
  const without = cells(base);
  const withPeer = cells({ ...base, peer: { engine: "transformers" } });
  const ours = withPeer.filter((c) => c.engine === "native");
  t.deepEqual(ours.map((c) => c.cellKey), without.map((c) => c.cellKey));
  const all = withPeer.map((c) => c.cellKey);
  t.is(new Set(all).size, all.length);
  for (const p of withPeer.filter((c) => c.engine === "transformers")) {
    const twin = ours.find((c) => c.model.id === p.model.id && c.method.label === p.method.label)!;
    t.not(p.cellKey, twin.cellKey);
    t.deepEqual([p.method, p.suite, p.sweep], [twin.method, twin.suite, twin.sweep]);
  }
});

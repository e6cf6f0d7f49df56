// The floor a rate is read against: the datasheet figures of the GPU the runner reports (cuda backend only), none on
// the CPU, on an unlisted GPU, or when records ran on different parts.
import test from "ava";
import { deviceFloor, floorOf, rateText } from "../reports/rates.ts";
import { benchRecord, dense } from "./helpers/records.ts";

test("known Hopper parts by the runner's device name", (t) => {
  const floor = (device: string) => deviceFloor({ backend: "cuda", device })?.name ?? null;
  t.is(floor("NVIDIA H100 80GB HBM3"), "H100 SXM");
  t.is(floor("NVIDIA H100 PCIe"), "H100 PCIe");
  t.is(floor("NVIDIA H100 NVL"), "H100 NVL");
  t.is(floor("NVIDIA H200"), "H200 SXM");
  t.is(floor("NVIDIA H200 NVL"), "H200 NVL");
  t.is(floor("NVIDIA A100-SXM4-80GB"), null);
  t.is(deviceFloor({ backend: "cpu", device: "NVIDIA H100 80GB HBM3" }), null);
  t.deepEqual(deviceFloor({ backend: "cuda", device: "NVIDIA H100 80GB HBM3" }), { name: "H100 SXM", tflops: 989, gbps: 3350 });
});

test("one floor for a set of records only when they all ran on the same part", (t) => {
  const on = (device: string) => benchRecord({ method: dense, contextLength: 8192, prefillMs: [1], environment: { backend: "cuda", device } });
  t.is(floorOf([on("NVIDIA H100 80GB HBM3"), on("NVIDIA H100 80GB HBM3")])?.name, "H100 SXM");
  t.is(floorOf([on("NVIDIA H100 80GB HBM3"), on("NVIDIA H200")]), null);
  t.is(floorOf([on("NVIDIA H100 80GB HBM3"), on("unknown")]), null);
  t.is(floorOf([]), null);
});

test("a rate with its share of the floor, or alone", (t) => {
  const h100 = deviceFloor({ backend: "cuda", device: "NVIDIA H100 80GB HBM3" });
  t.is(rateText(412.3, "TFLOP/s", h100), "412 (42% of 989)");
  t.is(rateText(2680, "GB/s", h100), "2680 (80% of 3350)");
  t.is(rateText(0.012345, "TFLOP/s", null), "0.0123");
  t.is(rateText(45.678, "GB/s", null), "45.7");
});

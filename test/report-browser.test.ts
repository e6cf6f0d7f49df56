// report.html in a real browser (Debian's chromium driven by playwright-core): opens offline with no console errors
// and no network requests, every chart renders SVG marks, injected markup stays text, and the page fits a laptop
// screen. Saves test-artifacts/report-browser.png. Skipped when /usr/bin/chromium (or $GEMBENCH_CHROMIUM) is absent,
// unless GEMBENCH_REQUIRE_BROWSER=1 (.ci/run sets it), where that is a failure.
import test from "ava";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { writeReports } from "../reports/index.ts";
import { sampleRun } from "./helpers/records.ts";

/** Debian's chromium; GEMBENCH_CHROMIUM points elsewhere (another distro's path). */
const CHROMIUM = process.env.GEMBENCH_CHROMIUM ?? "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const ARTIFACTS = fileURLToPath(new URL("../test-artifacts/", import.meta.url));
const required = process.env.GEMBENCH_REQUIRE_BROWSER === "1";

if (!existsSync(CHROMIUM) && !required) {
  test.skip(`report in a browser: SKIPPED, ${CHROMIUM} is absent (apt-get install chromium, or set GEMBENCH_CHROMIUM; GEMBENCH_REQUIRE_BROWSER=1 makes this a failure)`, () => {});
} else {
  test("the report renders offline in chromium: charts drawn, no errors, injected markup inert, laptop width", async (t) => {
    if (!existsSync(CHROMIUM)) {
      t.fail(`${CHROMIUM} is required (GEMBENCH_REQUIRE_BROWSER=1): apt-get install chromium`);
      return;
    }
    const runDir = join(ARTIFACTS, "report-browser");
    rmSync(runDir, { recursive: true, force: true });
    mkdirSync(runDir, { recursive: true });
    const records = sampleRun();
    writeFileSync(join(runDir, "records.jsonl"), records.map((r) => JSON.stringify(r)).join("\n") + "\n");
    writeFileSync(join(runDir, "config.json"), JSON.stringify({ name: "sample-run", description: "fixture records: NIAH grid, LongBench, bench" }));
    const written = await writeReports(runDir, { generatedAt: "2026-11-22T12:00:00.000Z" });
    const html = join(runDir, "report.html");
    t.true(written.includes(html));

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
      const problems: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
      page.on("dialog", (d) => {
        problems.push(`dialog opened: ${d.message()}`);
        void d.dismiss();
      });
      await page.route("**/*", (route) => {
        const url = route.request().url();
        if (url.startsWith("file:") || url.startsWith("data:")) return route.continue();
        problems.push(`network request: ${url}`);
        return route.abort();
      });
      await page.goto(pathToFileURL(html).href);
      await page.waitForFunction(() => [...document.querySelectorAll("[data-chart]")].every((e) => e.hasAttribute("data-rendered")), null, { timeout: 30_000 });

      const charts = await page.$$eval("[data-chart]", (els) =>
        els.map((e) => ({
          id: e.id,
          state: e.getAttribute("data-rendered"),
          marks: e.querySelectorAll("svg g.role-mark path, svg g.role-mark line").length,
          heatCells: e.querySelectorAll("svg g.mark-rect.role-mark path").length,
        })),
      );
      t.deepEqual(
        charts.map((c) => c.id.replace(/^chart-\d+-/, "")),
        ["niah-heatmap", "sweep-filterLayer", "sweep-k", "prefill", "decode", "rate", "rate", "memory"],
      );
      for (const c of charts) {
        t.is(c.state, "true", c.id);
        t.true(c.marks > 0, `${c.id} has no SVG marks`);
      }
      // 5 methods × 4 lengths × 5 depths, one rect per heatmap cell
      t.is(charts[0]!.heatCells, 100);

      // the fixture's model output and input token carry "</script><img src=x onerror=alert(1)>": text, not elements
      t.is(await page.locator("img").count(), 0);
      t.is(await page.locator("article.viewer dd").first().textContent(), "</script><img src=x onerror=alert(1)> & <b>bold</b>");
      t.true((await page.locator("article.viewer .tokens").first().textContent())!.includes("</script><img src=x onerror=alert(1)>"));

      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      t.true(width <= 1366, `page is ${width}px wide: horizontal scrolling on a laptop screen`);
      t.deepEqual(problems, []);
      await page.screenshot({ path: join(ARTIFACTS, "report-browser.png"), fullPage: true });
    } finally {
      await browser.close();
    }
  });
}

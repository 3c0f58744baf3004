// What the headless-Chromium page tests share: checks printed one per line ("ok - ..." /
// "not ok - ..."), and a Chromium from playwright-core that records requests to other
// hosts and script errors.
import { createRequire } from "node:module";
import { resolve } from "node:path";

// The script's arguments by name, or a usage line and exit 2 when one is missing.
export function args(script, names) {
  const values = process.argv.slice(2);
  if (values.length < names.length || values.some((v) => !v)) {
    console.error(`usage: node ${script} ${names.join(" ")}`);
    process.exit(2);
  }
  return Object.fromEntries(names.map((n, i) => [n, values[i]]));
}

export function checker() {
  const t0 = Date.now();
  const state = { failures: 0 };
  state.check = (cond, what, detail = "") => {
    const at = ((Date.now() - t0) / 1000).toFixed(1);
    console.log(`${cond ? "ok" : "not ok"} - ${what}${cond || !detail ? "" : `: ${detail}`} (${at} s)`);
    if (!cond) state.failures++;
  };
  return state;
}

// Launches Chromium (CHROMIUM or /usr/bin/chromium) and opens one page on `url`'s origin.
export async function openPage(webDir, url, viewport = { width: 1280, height: 860 }) {
  const require = createRequire(resolve(webDir, "package.json"));
  const { chromium } = require("playwright-core");
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    // Running as root (CI) needs --no-sandbox; the page is our own and loads nothing else.
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const origin = new URL(url).origin;
  const foreign = [];
  const consoleErrors = [];
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(60000);
  page.on("request", (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith("data:")) foreign.push(r.url());
  });
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  return { browser, context, page, foreign, consoleErrors };
}

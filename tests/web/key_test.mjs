// The web page against a server with API keys, in headless Chromium:
//
//   node key_test.mjs URL WEB_DIR SCREENSHOT_DIR KEY
//
// The page loads without a key (its files are public), the API answers 401, the page
// shows the server's sentence and the key field; a wrong key is refused again; with the
// right key the languages load and a bash program runs. Prints one line per check and
// exits 1 on any failure.
import { join } from "node:path";

import { args, checker, openPage } from "./harness.mjs";

const { URL: url, WEB_DIR: webDir, SCREENSHOT_DIR: shotDir, KEY: key } = args("key_test.mjs", ["URL", "WEB_DIR", "SCREENSHOT_DIR", "KEY"]);
const results = checker();
const check = results.check;

const { browser, page, foreign, consoleErrors } = await openPage(webDir, url);
try {
  const text = (sel) => page.locator(sel).innerText();
  await page.goto(url);
  await page.locator("#key-form").waitFor({ state: "visible" });
  check(/needs an API key/.test(await text("#message")), "without a key the page says the server needs one", await text("#message"));
  check(await page.locator("#language").isDisabled(), "without a key no language is offered");
  await page.screenshot({ path: join(shotDir, "web-key-needed.png"), fullPage: true });

  // A wrong key: the languages request is refused again and the field comes back.
  await page.locator("#key").fill("wrong-key-0123456789abcdef");
  await page.locator("#key-form button").click();
  await page.locator("#key-form").waitFor({ state: "visible" });
  check(/not valid/.test(await text("#message")), "a wrong key gets the server's sentence", await text("#message"));

  await page.locator("#key").fill(key);
  await page.locator("#key-form button").click();
  await page.waitForFunction(() => !document.querySelector("#language").disabled);
  check(await page.locator("#key-form").isHidden(), "with the key the field goes away");
  await page.locator("#language").selectOption("bash");
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.type("echo keyed run");
  await page.locator("#run").click();
  await page.waitForFunction(() => document.querySelector("#status").dataset.status !== "running");
  check((await page.locator("#status").getAttribute("data-status")) === "ok", "a run with the key: status ok", await text("#message"));
  check((await text("#stdout")).trim() === "keyed run", "a run with the key: stdout", await text("#stdout"));
  // Interactive mode with the key: the browser sends it as a WebSocket subprotocol.
  await page.locator("#interactive").check();
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.type("read -r name; echo \"keyed $name\"");
  await page.locator("#run").click();
  await page.waitForFunction(() => document.querySelector("#status").textContent === "running…");
  await page.locator("#terminal").click();
  await page.keyboard.type("Kay");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector("#status").dataset.status !== "running");
  check((await page.locator("#status").getAttribute("data-status")) === "ok", "a live session with the key: status ok", await text("#message"));
  check((await text("#terminal .xterm-rows")).includes("keyed Kay"), "a live session with the key: the answer in the terminal", await text("#terminal .xterm-rows"));
  await page.locator("#interactive").uncheck();
  const stored = await page.evaluate(() => [sessionStorage.getItem("codecanvas.key"), localStorage.getItem("codecanvas.key")]);
  check(stored[0] === key && stored[1] === null, "the key is kept for this tab only (sessionStorage)", JSON.stringify(stored));

  check(foreign.length === 0, "the page loads nothing from other hosts", foreign.join(" "));
  const unexpected = consoleErrors.filter((e) => !/Failed to load resource/.test(e));
  check(unexpected.length === 0, "no script errors in the console", unexpected.join(" | "));
} catch (e) {
  check(false, "the key test ran to the end", e.stack ?? String(e));
} finally {
  await browser.close();
}
console.log(results.failures === 0 ? "web page with keys: all checks passed" : `web page with keys: ${results.failures} check(s) failed`);
process.exit(results.failures === 0 ? 0 : 1);

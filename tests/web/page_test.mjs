// End-to-end test of the codecanvas web page in headless Chromium, driven by playwright-core.
//
//   node page_test.mjs URL WEB_DIR SCREENSHOT_DIR SERVER_PID
//
// URL is a real codecanvas-server started by web_test.cc with one slot, no queue and a
// 4 KiB source limit, so that a busy server (503), a refused request (400) and, after this
// script stops the server (SERVER_PID), an unreachable one are all real. Prints one line
// per check ("ok - ..." / "not ok - ..."), saves screenshots, exits 1 on any failure.
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { args, checker, openPage } from "./harness.mjs";

const { URL: url, WEB_DIR: webDir, SCREENSHOT_DIR: shotDir, SERVER_PID: serverPid } = args("page_test.mjs", ["URL", "WEB_DIR", "SCREENSHOT_DIR", "SERVER_PID"]);
const results = checker();
const check = results.check;

const { browser, page, foreign, consoleErrors } = await openPage(webDir, url);
try {
  const text = (sel) => page.locator(sel).innerText();
  const status = () => page.locator("#status").getAttribute("data-status");
  const waitDone = () =>
    page.waitForFunction(() => document.querySelector("#status").dataset.status !== "running");
  async function typeProgram(lines) {
    await page.locator(".cm-content").click();
    await page.keyboard.press("Control+A");
    await page.keyboard.press("Delete");
    for (const [i, line] of lines.entries()) {
      if (i > 0) {
        await page.keyboard.press("Enter");
        // Drop whatever indentation the editor offers: the lines carry their own.
        await page.keyboard.press("Shift+Home");
        await page.keyboard.press("Delete");
      }
      await page.keyboard.type(line);
    }
  }

  await page.goto(url);
  await page.waitForFunction(() => !document.querySelector("#language").disabled);
  const languages = await page.locator("#language option").allInnerTexts();
  const offered = (await (await fetch(new URL("/api/v1/languages", url))).json()).languages;
  check(offered.length >= 40 && offered.every((l) => languages.includes(l)) && languages.length === offered.length,
        `the picker lists every language the server offers (${offered.length})`, languages.join(","));
  check((await page.locator(".cm-lineNumbers").count()) === 1, "the editor shows line numbers");

  // Python: a program that reads stdin, typed into the editor, run with Ctrl+Enter.
  await page.locator("#language").selectOption("python3");
  const sample = await page.locator(".cm-content").innerText();
  check(sample.trim().length > 0, "picking a language loads its sample program");
  check((await page.locator(".cm-content .tok-keyword, .cm-content span[class*='ͼ']").count()) > 0,
    "the sample is syntax-highlighted");
  await typeProgram(["import sys", "data = sys.stdin.read()", 'print("got", data.strip().upper())']);
  await page.locator("#stdin").fill("hello web\n");
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+Enter");
  await waitDone();
  check((await status()) === "ok", "python3 run: status badge ok", `${await status()} / ${await text("#message")} / ${await text("#stderr")}`);
  check((await text("#stdout")).trim() === "got HELLO WEB", "python3 run: stdout echoes stdin", await text("#stdout"));
  check(/^\d+ ms CPU, \d+ ms wall$/.test(await text("#time")), "python3 run: time badge", await text("#time"));
  check(/^\d+(\.\d)? (KiB|MiB)$/.test(await text("#memory")), "python3 run: memory badge", await text("#memory"));
  check(await page.locator("#compile-section").isHidden(), "python3 run: no compile output pane");
  await page.screenshot({ path: join(shotDir, "web-python.png"), fullPage: true });

  // Tab indents inside the editor instead of leaving it.
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+End");
  await page.keyboard.press("Enter");
  await page.keyboard.press("Shift+Home");
  await page.keyboard.press("Delete");
  await page.keyboard.press("Tab");
  const focusedInEditor = await page.evaluate(() => document.activeElement?.classList.contains("cm-content"));
  const lastLine = await page.locator(".cm-line").last().innerText();
  check(focusedInEditor && /^\s+$/.test(lastLine.replace(/\u200b/g, "") || " "), "Tab indents in the editor");

  // C++: a compile error shows the compiler's message.
  await page.locator("#language").selectOption("c++");
  await typeProgram(["int main() { return undefined_name; }"]);
  await page.locator("#run").click();
  await waitDone();
  check((await status()) === "compile_error", "c++ compile error: status badge", await status());
  check(await page.locator("#compile-section").isVisible(), "c++ compile error: compile output shown");
  check((await text("#compile-output")).includes("undefined_name"), "c++ compile error: the compiler names the culprit", await text("#compile-output"));
  check((await text("#message")).includes("compile error"), "c++ compile error: message line", await text("#message"));
  await page.screenshot({ path: join(shotDir, "web-compile-error.png"), fullPage: true });

  // Interactive mode: the output pane becomes a terminal; the user types the program's
  // input while it runs and sees the answer; Stop ends a running loop.
  const terminalText = () => text("#terminal .xterm-rows");
  await page.locator("#language").selectOption("python3");
  await page.locator("#interactive").check();
  check(await page.locator("#terminal").isVisible() && await page.locator("#stdin").isHidden(),
    "interactive: a terminal replaces stdin and the output panes");
  await typeProgram(['name = input("name? ")', 'print("hello, " + name)']);
  await page.locator("#run").click();
  await page.waitForFunction(() => document.querySelector("#terminal .xterm-rows")?.innerText.includes("name?"));
  check((await text("#run")) === "Stop", "interactive: Run turns into Stop while the program runs", await text("#run"));
  await page.locator("#terminal").click();
  await page.keyboard.type("Ada Lovelace");
  await page.keyboard.press("Enter");
  await waitDone();
  check((await status()) === "ok", "interactive: the program ends ok", `${await status()} / ${await text("#message")}`);
  check((await terminalText()).includes("name? Ada Lovelace\nhello, Ada Lovelace"), "interactive: the typed name and the answer in the terminal", await terminalText());
  check((await text("#run")) === "Run", "interactive: Stop turns back into Run", await text("#run"));
  await page.screenshot({ path: join(shotDir, "web-interactive.png"), fullPage: true });

  await typeProgram(["import time", "i = 0", "while True:", "    print('tick', i, flush=True)", "    i += 1", "    time.sleep(0.1)"]);
  await page.locator("#run").click();
  await page.waitForFunction(() => document.querySelector("#terminal .xterm-rows")?.innerText.includes("tick 3"));
  await page.locator("#run").click(); // Stop
  await waitDone();
  check((await status()) === "killed", "interactive: Stop kills a running loop", `${await status()} / ${await text("#message")} / ${await terminalText()}`);
  check(/\[killed\]/.test(await terminalText()), "interactive: the terminal says it was killed", await terminalText());
  await page.screenshot({ path: join(shotDir, "web-interactive-stopped.png"), fullPage: true });
  await page.locator("#interactive").uncheck();
  check(await page.locator("#stdin").isVisible() && await page.locator("#terminal").isHidden(), "interactive off: the batch panes are back");

  // A request the server refuses (400): a source over the test server's 4 KiB limit.
  await page.locator("#language").selectOption("python3");
  await typeProgram(["# "]);
  await page.keyboard.insertText("x".repeat(5000)); // typing it key by key takes minutes

  await page.locator("#run").click();
  await waitDone();
  check((await status()) === "refused", "too large a source: badge says refused", await status());
  check(/refused the request: .*source/i.test(await text("#message")), "too large a source: the server's sentence is shown", await text("#message"));

  // A busy server (503): the only slot runs a job and the queue holds none.
  await typeProgram(['print("second")']);
  const blocker = fetch(`${url}/api/v1/run`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ language: "bash", source: "sleep 4", limits: { wall_ms: 8000 } }),
  });
  await new Promise((r) => setTimeout(r, 1000));
  await page.locator("#run").click();
  await waitDone();
  check((await status()) === "busy", "full server: badge says busy", await status());
  check(/busy.*Try again in \d+ s/.test(await text("#message")), "full server: message with Retry-After", await text("#message"));
  check(await page.locator("#compile-section").isHidden(), "full server: no output of an earlier run is left");
  const blocked = await blocker;
  check(blocked.status === 200, "the blocking job itself was answered", String(blocked.status));

  // A narrow screen: one column, nothing wider than the viewport.
  await page.setViewportSize({ width: 380, height: 760 });
  const layout = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
    editor: document.querySelector("#editor").getBoundingClientRect(),
    stdout: document.querySelector("#stdout").getBoundingClientRect(),
  }));
  check(layout.scroll <= layout.width, "narrow screen: no horizontal scrolling", JSON.stringify(layout));
  check(layout.stdout.top >= layout.editor.bottom, "narrow screen: output below the editor", JSON.stringify(layout));
  await page.screenshot({ path: join(shotDir, "web-narrow.png"), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 860 });

  // The server goes away: the page says it cannot be reached. (Until the process is gone it
  // may still answer on the browser's open keep-alive connection.)
  process.kill(Number(serverPid), "SIGTERM");
  // Gone, or a zombie its parent (web_test.cc) has not reaped yet.
  const alive = () => {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${serverPid}/stat`, "utf8"));
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 600 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
  check(!alive(), "the server stopped on SIGTERM");
  await page.locator("#run").click();
  await waitDone();
  check((await status()) === "unreachable", "server stopped: badge says unreachable", await status());
  check((await text("#message")).includes("cannot be reached"), "server stopped: message", await text("#message"));
  await page.screenshot({ path: join(shotDir, "web-unreachable.png"), fullPage: true });

  check(foreign.length === 0, "the page loads nothing from other hosts", foreign.join(" "));
  const unexpected = consoleErrors.filter((e) => !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(e));
  check(unexpected.length === 0, "no script errors in the console", unexpected.join(" | "));
} catch (e) {
  check(false, "the page test ran to the end", e.stack ?? String(e));
} finally {
  await browser.close();
}
console.log(results.failures === 0 ? "web page: all checks passed" : `web page: ${results.failures} check(s) failed`);
process.exit(results.failures === 0 ? 0 : 1);

// The codecanvas web page: pick a language, edit, give stdin, Run (or Ctrl+Enter), read
// stdout, stderr, compile output and the verdict with its time and memory. In Interactive
// mode the program runs in a live session instead and the output pane is a terminal where
// the user types its input while it runs (Run turns into Stop). It talks to the same API
// as every other client and keeps drafts in the browser's storage.
import "./style.css";
import { ApiFailure, fetchRuntimes, openSession, runProgram, setApiKey } from "./api.js";
import { SourceEditor } from "./editor.js";
import { LiveTerminal } from "./terminal.js";

const $ = (id) => document.getElementById(id);
const ui = {
  language: $("language"),
  version: $("version"),
  run: $("run"),
  status: $("status"),
  time: $("time"),
  memory: $("memory"),
  message: $("message"),
  stdin: $("stdin"),
  compileSection: $("compile-section"),
  compileOutput: $("compile-output"),
  stdout: $("stdout"),
  stderr: $("stderr"),
  keyForm: $("key-form"),
  key: $("key"),
  interactive: $("interactive"),
  batchIo: $("batch-io"),
  liveIo: $("live-io"),
  terminal: $("terminal"),
};

// A server with API keys answers 401: the key field appears, and a key entered there is
// used from then on (and the languages are loaded, if that was what failed).
function askForKey(failure) {
  if (failure.status !== 401) return false;
  ui.keyForm.hidden = false;
  ui.key.focus();
  return true;
}

// Drafts survive a reload; storage may be unavailable (private mode), which only costs that.
const store = {
  get(key, fallback) {
    try {
      const v = localStorage.getItem(`codecanvas.${key}`);
      return v === null ? fallback : JSON.parse(v);
    } catch {
      return fallback;
    }
  },
  set(key, value) {
    try {
      localStorage.setItem(`codecanvas.${key}`, JSON.stringify(value));
    } catch {
      /* not persisted */
    }
  },
};

let runtimes = new Map(); // language name -> runtime entry of /api/v1/runtimes
let current = null; // the language in the editor
let running = false;
const drafts = store.get("drafts", {});

const editor = new SourceEditor($("editor"), {
  onRun: () => run(),
  onChange: () => {
    if (current === null) return;
    drafts[current] = editor.text;
    store.set("drafts", drafts);
  },
});

function showMessage(text) {
  ui.message.textContent = text;
  ui.message.hidden = !text;
}

function setBadge(status, text = status.replaceAll("_", " ")) {
  ui.status.dataset.status = status;
  ui.status.textContent = text;
}

function selectLanguage(name) {
  const rt = runtimes.get(name);
  if (!rt) return;
  current = null; // the text set below is not an edit of the previous language's draft
  editor.setLanguage(name);
  editor.text = drafts[name] ?? rt.sample ?? "";
  current = name;
  ui.language.value = name;
  ui.version.textContent = rt.version ? `${rt.version}` : "";
  store.set("language", name);
}

async function loadRuntimes() {
  try {
    const body = await fetchRuntimes();
    const list = Array.isArray(body) ? body : [];
    runtimes = new Map(list.map((r) => [r.language, r]));
    ui.language.replaceChildren(
      ...list.map((r) => {
        const option = document.createElement("option");
        option.value = r.language;
        option.textContent = r.language;
        return option;
      }),
    );
    if (list.length === 0) {
      showMessage("The server offers no language: no toolchain answered at its start-up.");
      return;
    }
    const saved = store.get("language", null);
    const first = runtimes.has(saved) ? saved : runtimes.has("python3") ? "python3" : list[0].language;
    ui.language.disabled = false;
    ui.run.disabled = false;
    showMessage("");
    selectLanguage(first);
  } catch (e) {
    if (e instanceof ApiFailure && askForKey(e)) {
      showMessage(e.message);
      return; // loaded again once a key is entered
    }
    showMessage(`${e instanceof ApiFailure ? e.message : String(e)} Retrying in 5 s.`);
    setTimeout(loadRuntimes, 5000);
  }
}

function formatMemory(kb) {
  return kb >= 10240 ? `${(kb / 1024).toFixed(1)} MiB` : `${kb} KiB`;
}

function fill(pre, text, truncated) {
  pre.textContent = text ?? "";
  if (truncated) {
    const note = document.createElement("span");
    note.className = "truncated";
    note.textContent = "\n[cut at the output limit]";
    pre.append(note);
  }
}

function show(result) {
  const compileError = result.status === "compile_error";
  setBadge(result.status);
  ui.status.title = result.error ?? "";
  ui.time.textContent =
    result.time_ms == null ? "" : `${Math.round(result.time_ms)} ms CPU, ${Math.round(result.wall_ms)} ms wall`;
  ui.memory.textContent = result.memory_kb == null ? "" : formatMemory(result.memory_kb);
  const compile = result.compile;
  const compileText = compile ? [compile.stdout, compile.stderr].filter(Boolean).join("") : "";
  ui.compileSection.hidden = !compileText;
  ui.compileOutput.textContent = compileText;
  fill(ui.stdout, result.stdout, result.stdout_truncated);
  // On a compile error the top-level stderr repeats the compiler's messages, shown above.
  fill(ui.stderr, compileError ? "" : result.stderr, result.stderr_truncated);
  showMessage(
    result.status === "ok" || !result.error
      ? ""
      : compileError
        ? "compile error: the program did not compile; the compiler's messages are below."
        : `${result.status.replaceAll("_", " ")}: ${result.error}`,
  );
}

// --- Interactive mode ------------------------------------------------------------------

let terminal = null; // created the first time Interactive mode is on
let session = null; // the live session in progress

function setInteractive(on) {
  ui.interactive.checked = on;
  ui.batchIo.hidden = on;
  ui.liveIo.hidden = !on;
  store.set("interactive", on);
  if (on && terminal === null) {
    terminal = new LiveTerminal(ui.terminal, {
      onLine: (text) => session?.input(text),
      onEof: () => session?.eof(),
      onInterrupt: () => session?.kill(),
    });
  }
}

function runLive() {
  if (session !== null) {
    session.kill(); // the button says Stop while a session runs
    return;
  }
  running = true;
  ui.run.textContent = "Stop";
  ui.run.title = "Stop the program";
  ui.interactive.disabled = true;
  setBadge("running", "starting…");
  ui.time.textContent = "";
  ui.memory.textContent = "";
  showMessage("");
  terminal.reset();
  terminal.accept(true);
  terminal.focus();
  const finish = () => {
    session = null;
    running = false;
    terminal.accept(false);
    ui.run.textContent = "Run";
    ui.run.title = "Run (Ctrl+Enter)";
    ui.interactive.disabled = false;
  };
  session = openSession(
    { language: current, source: editor.text },
    {
      stage: (stage) => setBadge("running", stage === "compile" ? "compiling…" : "running…"),
      data: (stream, text) => terminal.write(stream, text),
      result: (result) => {
        show(result);
        if (result.status === "compile_error") terminal.write("stderr", result.stderr ?? "");
        terminal.note(`\r\n[${result.status.replaceAll("_", " ")}${result.exit_code != null ? `, exit code ${result.exit_code}` : ""}]`);
      },
      error: (message, code) => {
        setBadge(code === "busy" ? "busy" : code === "closed" ? "unreachable" : "refused");
        ui.status.title = message;
        showMessage(message);
      },
      closed: finish,
    },
  );
}

async function run() {
  if (ui.interactive.checked) return runLive();
  if (running || current === null) return;
  running = true;
  ui.run.disabled = true;
  setBadge("running", "running…");
  ui.time.textContent = "";
  ui.memory.textContent = "";
  // The panes show one run: nothing of the previous one stays beside a new answer or error.
  ui.compileSection.hidden = true;
  ui.compileOutput.textContent = "";
  ui.stdout.textContent = "";
  ui.stderr.textContent = "";
  showMessage("");
  try {
    show(await runProgram({ language: current, source: editor.text, stdin: ui.stdin.value }));
  } catch (e) {
    const failure = e instanceof ApiFailure ? e : new ApiFailure(String(e));
    setBadge(failure.status === 503 ? "busy" : failure.status === 0 ? "unreachable" : "refused");
    ui.status.title = failure.message;
    showMessage(failure.message);
    askForKey(failure);
  } finally {
    running = false;
    ui.run.disabled = false;
  }
}

ui.language.addEventListener("change", () => selectLanguage(ui.language.value));
ui.keyForm.addEventListener("submit", (e) => {
  e.preventDefault();
  setApiKey(ui.key.value);
  ui.key.value = "";
  ui.keyForm.hidden = true;
  showMessage("");
  if (runtimes.size === 0) loadRuntimes();
});
ui.run.addEventListener("click", () => run());
ui.interactive.addEventListener("change", () => setInteractive(ui.interactive.checked));
setInteractive(store.get("interactive", false));
ui.stdin.value = store.get("stdin", "");
ui.stdin.addEventListener("input", () => store.set("stdin", ui.stdin.value));
// Ctrl+Enter runs from anywhere on the page, not only from the editor.
document.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !e.defaultPrevented) {
    e.preventDefault();
    if (session === null) run(); // Stop is the button's (or Ctrl+C in the terminal)
  }
});
loadRuntimes();

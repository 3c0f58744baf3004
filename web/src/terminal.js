// The Interactive mode's output pane: a terminal (xterm.js) showing what the program
// writes, stderr in red, where the user types the program's input. Typing is edited
// locally, as a terminal in line mode does: characters echo, Backspace erases, Enter sends
// the line (with its newline), Ctrl+D ends the input, Ctrl+C stops the program.
import { Terminal } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";

export class LiveTerminal {
  constructor(element, { onLine, onEof, onInterrupt }) {
    this.term = new Terminal({
      convertEol: true,
      cursorBlink: true,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", monospace',
      fontSize: 14,
      rows: 18,
      scrollback: 5000,
      theme: { background: "#1d1f21", foreground: "#e6e6e6" },
    });
    this.term.open(element);
    this.line = "";
    this.accepting = false;
    this.term.onData((data) => {
      if (!this.accepting) return;
      for (const ch of data) {
        if (ch === "\r") {
          this.term.write("\r\n");
          const line = this.line;
          this.line = "";
          onLine(`${line}\n`);
        } else if (ch === "\x7f" || ch === "\b") {
          if (this.line.length > 0) {
            this.line = this.line.slice(0, -1);
            this.term.write("\b \b");
          }
        } else if (ch === "\x04") {
          if (this.line) onLine(this.line);
          this.line = "";
          onEof();
        } else if (ch === "\x03") {
          onInterrupt();
        } else if (ch >= " " || ch === "\t") {
          this.line += ch;
          this.term.write(ch);
        }
      }
    });
  }

  reset() {
    this.term.reset();
    this.line = "";
  }

  // Output of the program; a line being typed stays after it.
  write(stream, text) {
    const pending = this.line;
    if (pending) this.term.write("\b \b".repeat(pending.length));
    this.term.write(stream === "stderr" ? `\x1b[31m${text}\x1b[0m` : text);
    if (pending) this.term.write(pending);
  }

  // A note of the page's own (stage, end), dimmed.
  note(text) {
    this.term.write(`\x1b[2m${text}\x1b[0m\r\n`);
  }

  accept(on) {
    this.accepting = on;
    if (!on) this.line = "";
  }

  focus() {
    this.term.focus();
  }

  // What the terminal shows, as text (the tests read it).
  text() {
    const buffer = this.term.buffer.active;
    const lines = [];
    for (let i = 0; i < buffer.length; ++i) lines.push(buffer.getLine(i)?.translateToString(true) ?? "");
    return lines.join("\n").trimEnd();
  }
}

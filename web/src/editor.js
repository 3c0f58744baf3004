// The source editor: CodeMirror 6 with line numbers, bracket matching, history, tab
// indentation and one syntax mode per codecanvas language.
import { basicSetup } from "codemirror";
import { indentWithTab } from "@codemirror/commands";
import { cpp } from "@codemirror/lang-cpp";
import { java } from "@codemirror/lang-java";
import { javascript } from "@codemirror/lang-javascript";
import { python } from "@codemirror/lang-python";
import { StreamLanguage, indentUnit } from "@codemirror/language";
import { go } from "@codemirror/legacy-modes/mode/go";
import { shell } from "@codemirror/legacy-modes/mode/shell";
import { Compartment, EditorState, Prec } from "@codemirror/state";
import { EditorView, keymap } from "@codemirror/view";

// Keyed by the API's language names; a language the page does not know is plain text.
const modes = {
  bash: () => StreamLanguage.define(shell),
  c: () => cpp(),
  "c++": () => cpp(),
  go: () => StreamLanguage.define(go),
  java: () => java(),
  nodejs: () => javascript(),
  python3: () => python(),
};

export function hasMode(language) {
  return language in modes;
}

export class SourceEditor {
  constructor(parent, { onRun, onChange }) {
    this.mode = new Compartment();
    this.indent = new Compartment();
    this.view = new EditorView({
      parent,
      state: EditorState.create({
        doc: "",
        extensions: [
          basicSetup,
          // Ctrl+Enter (Cmd+Enter on a Mac) runs, ahead of the default "insert blank line".
          Prec.highest(keymap.of([{ key: "Mod-Enter", run: () => (onRun(), true) }])),
          keymap.of([indentWithTab]),
          this.mode.of([]),
          this.indent.of(indentUnit.of("    ")),
          EditorView.updateListener.of((u) => u.docChanged && onChange()),
          EditorView.contentAttributes.of({ "aria-label": "source code" }),
        ],
      }),
    });
  }

  setLanguage(language) {
    const mode = modes[language];
    // Go's and Makefile-like conventions indent with tabs, the rest with four spaces.
    const unit = language === "go" ? "\t" : "    ";
    this.view.dispatch({
      effects: [this.mode.reconfigure(mode ? mode() : []), this.indent.reconfigure(indentUnit.of(unit))],
    });
  }

  get text() {
    return this.view.state.doc.toString();
  }

  set text(value) {
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: value } });
  }

  focus() {
    this.view.focus();
  }
}

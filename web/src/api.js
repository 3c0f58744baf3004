// The page's client of the codecanvas HTTP API. Every failure becomes one sentence for
// the message line: the server's own sentence when it answered with the contract's error
// shape, otherwise what went wrong on the way (unreachable, not JSON).

export class ApiFailure extends Error {
  constructor(message, { status = 0, retryAfter = null } = {}) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

// The API key, when the server asks for one: kept for this browser tab only (sessionStorage),
// sent as "Authorization: Bearer KEY".
const KEY_ITEM = "codecanvas.key";
let apiKey = (() => {
  try {
    return sessionStorage.getItem(KEY_ITEM) ?? "";
  } catch {
    return "";
  }
})();

export function setApiKey(key) {
  apiKey = key.trim();
  try {
    if (apiKey) sessionStorage.setItem(KEY_ITEM, apiKey);
    else sessionStorage.removeItem(KEY_ITEM);
  } catch {
    /* kept in memory only */
  }
}

async function call(path, init) {
  let response;
  const headers = { ...(init.headers ?? {}) };
  if (apiKey) headers.Authorization = `Bearer ${apiKey}`;
  try {
    response = await fetch(path, { ...init, headers });
  } catch {
    throw new ApiFailure(
      `The codecanvas server at ${location.origin} cannot be reached. Is it running? ` +
        "Your program was not run.",
    );
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (response.ok && body !== null) return body;
  const sentence = body && typeof body.error === "string" ? body.error : null;
  const retryAfter = response.headers.get("Retry-After");
  switch (response.status) {
    case 401:
      // The server's sentence says what is wrong (no key, a malformed header, a wrong key).
      throw new ApiFailure(
        `API key: ${sentence ?? "this server needs one"}. Enter the key in the field below.`,
        { status: 401 },
      );
    case 429:
      throw new ApiFailure(
        `Too many requests with this key: ${sentence ?? "the key's rate is used up"}.` +
          (retryAfter ? ` Try again in ${retryAfter} s.` : ""),
        { status: 429, retryAfter },
      );
    case 503:
      throw new ApiFailure(
        `The server is busy: ${sentence ?? "every sandbox slot is in use and the queue is full"}.` +
          (retryAfter ? ` Try again in ${retryAfter} s.` : ""),
        { status: 503, retryAfter },
      );
    case 400:
    case 413:
    case 422:
      throw new ApiFailure(`The server refused the request: ${sentence ?? `HTTP ${response.status}`}.`, {
        status: response.status,
      });
    default:
      throw new ApiFailure(
        response.status >= 500
          ? `The server failed to run the program: ${sentence ?? `HTTP ${response.status}`}.`
          : `Unexpected answer from the server: ${sentence ?? `HTTP ${response.status}`}.`,
        { status: response.status },
      );
  }
}

export function fetchRuntimes() {
  return call("/api/v1/runtimes", { headers: { Accept: "application/json" } });
}

export function runProgram({ language, source, stdin }) {
  return call("/api/v1/run", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ language, source, stdin }),
  });
}

// A live session (GET /api/v1/sessions, a WebSocket): the program runs while the user
// types. `on` receives stage(name), data(stream, text), result(result), error(sentence,
// code) and closed(): exactly one of result and error comes, then closed. A browser cannot
// send an Authorization header with a WebSocket, so the key (if any) travels as the
// subprotocol "codecanvas.key.<hex>" beside "codecanvas", which the server answers with.
export function openSession({ language, source }, on) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const protocols = ["codecanvas"];
  if (apiKey) {
    const hex = Array.from(new TextEncoder().encode(apiKey), (b) => b.toString(16).padStart(2, "0")).join("");
    protocols.push(`codecanvas.key.${hex}`);
  }
  const socket = new WebSocket(`${scheme}//${location.host}/api/v1/sessions`, protocols);
  let ended = false;
  const end = (kind, ...values) => {
    if (ended) return;
    ended = true;
    on[kind](...values);
  };
  socket.addEventListener("open", () => socket.send(JSON.stringify({ language, source })));
  socket.addEventListener("message", (event) => {
    let m;
    try {
      m = JSON.parse(event.data);
    } catch {
      return;
    }
    if (m.type === "stage") on.stage(m.stage);
    else if (m.type === "data") on.data(m.stream, m.data);
    else if (m.type === "result") end("result", m.result);
    else if (m.type === "error") end("error", m.message, m.code);
  });
  socket.addEventListener("close", (event) => {
    // Refused before the upgrade (401, 429, 503 and the like) or cut off on the way: the
    // browser tells no more than that.
    end(
      "error",
      event.code === 1006
        ? `The live session could not be opened or was cut off (is the server running, ` +
            `does it need an API key, are all its live sessions in use?).`
        : `The live session closed (${event.code}${event.reason ? `: ${event.reason}` : ""}).`,
      "closed",
    );
    on.closed();
  });
  const send = (message) => {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  };
  return {
    input: (text) => send({ type: "data", stream: "stdin", data: text }),
    eof: () => send({ type: "eof" }),
    kill: () => send({ type: "kill" }),
    close: () => socket.close(),
  };
}

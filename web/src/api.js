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

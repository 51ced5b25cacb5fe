// The dashboard's only way out: this server's API, with the key (when one is stored).
const KEY_ITEM = "alprd.apiKey";
let askKey = () => {};

export function onKeyNeeded(callback) { askKey = callback; }
export function storedKey() { return localStorage.getItem(KEY_ITEM) || ""; }
export function storeKey(key) {
  if (key) localStorage.setItem(KEY_ITEM, key); else localStorage.removeItem(KEY_ITEM);
}

function headers(extra = {}) {
  const key = storedKey();
  return key ? { ...extra, "X-API-Key": key } : extra;
}

export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : JSON.stringify(detail));
    this.status = status;
  }
}

// fetch(path) with the key; JSON in and out; a 401 asks for the key and throws.
export async function api(path, { method = "GET", json } = {}) {
  const init = { method, headers: headers(), cache: "no-store" };
  if (json !== undefined) {
    init.headers = headers({ "Content-Type": "application/json" });
    init.body = JSON.stringify(json);
  }
  const resp = await fetch(path, init);
  const body = await resp.json().catch(() => ({}));
  if (resp.status === 401) askKey(body.detail || "This server needs an API key.");
  if (!resp.ok) throw new ApiError(resp.status, body.detail ?? resp.statusText);
  return body;
}

// Show a stored image: straight from its URL, or (with a key) fetched with the key as a blob.
export async function showImage(img, url) {
  img.hidden = !url;
  if (!url) return;
  if (!storedKey()) { img.src = url; return; }
  try {
    const resp = await fetch(url, { headers: headers(), cache: "no-store" });
    if (!resp.ok) { img.hidden = true; return; }
    const blobUrl = URL.createObjectURL(await resp.blob());
    img.addEventListener("load", () => URL.revokeObjectURL(blobUrl), { once: true });
    img.src = blobUrl;
  } catch {
    img.hidden = true;
  }
}

// One parsed SSE block ("event: kind\ndata: {...}") -> {kind, data}, or null for comments.
export function parseSse(block) {
  let kind = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) kind = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  return data.length ? { kind, data: JSON.parse(data.join("\n")) } : null;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// /api/events read with fetch (EventSource cannot send X-API-Key); reconnects after 3 s.
export async function streamEvents(onEvent, onState) {
  for (;;) {
    try {
      const resp = await fetch("/api/events", { headers: headers(), cache: "no-store" });
      if (resp.status === 401) askKey("The live events need the read key.");
      if (resp.ok && resp.body) {
        onState(true);
        const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, "\n");
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const message = parseSse(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
            if (message) onEvent(message.kind, message.data);
          }
        }
      }
    } catch {
      // the daemon restarted or the network dropped: try again below
    }
    onState(false);
    await sleep(3000);
  }
}

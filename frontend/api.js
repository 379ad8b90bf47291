// JSON calls to Airwave's API with the page's cookie session and CSRF token.

export class ApiError extends Error {
  constructor(status, message, details) {
    super(message);
    this.status = status;
    this.details = details;
  }
}

export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? "";
}

/** Call the API; resolves to the decoded JSON body (null for 204), rejects with ApiError. */
export async function api(method, path, body, { keepalive = false } = {}) {
  const response = await fetch(path, {
    method,
    keepalive,
    credentials: "same-origin",
    headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    let message = `The server answered ${response.status} ${response.statusText}.`;
    let details = {};
    try {
      const data = await response.json();
      details = data.error ?? {};
      message = details.message ?? message;
    } catch {
      // Not JSON (a proxy's error page): keep the status line.
    }
    throw new ApiError(response.status, message, details);
  }
  return response.status === 204 ? null : response.json();
}

/** "1:02:03" or "2:03" for a number of seconds. */
export function formatTime(seconds) {
  const total = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** A server message as a sentence for an overlay: capitalised, with a full stop. */
export function sentence(text) {
  const trimmed = String(text).trim();
  return trimmed.charAt(0).toUpperCase() + trimmed.slice(1) + (/[.!?]$/.test(trimmed) ? "" : ".");
}

// The inspector's requests: JSON in and out, the CSRF token on every change, errors as one line.

const csrfToken = document.querySelector('meta[name="csrf-token"]')?.getAttribute("content") ?? "";

/** An error answer of the server: `{ error: { code, message, hint } }`. */
export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message ?? `request failed (${status})`);
    this.status = status;
    this.code = error?.code ?? "INTERNAL";
    this.hint = error?.hint;
  }
}

async function answer(response) {
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body?.error);
  return body;
}

/** GET a path; `params` become the query string (empty values are left out). */
export async function get(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "" && value !== false)
      query.set(key, String(value));
  }
  const suffix = query.size > 0 ? `?${query}` : "";
  return answer(await fetch(`${path}${suffix}`, { headers: { accept: "application/json" } }));
}

/** POST a JSON body with this page's CSRF token. */
export async function post(path, body) {
  return answer(
    await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": csrfToken, accept: "application/json" },
      body: JSON.stringify(body),
    }),
  );
}

export function actorPath(actorId, action) {
  return `/api/actors/${encodeURIComponent(actorId)}${action ? `/${action}` : ""}`;
}

/** The error line at the top of the page (what, and what to do); hidden again on success. */
export function showError(error) {
  const line = document.getElementById("error");
  if (!error) {
    line.hidden = true;
    line.textContent = "";
    return;
  }
  line.hidden = false;
  line.textContent = `Error: ${error.message}${error.hint ? ` (${error.hint})` : ""}`;
}

/** Says something to screen readers without moving focus. */
export function announce(text) {
  document.getElementById("live").textContent = text;
}

/** `el("td", { class: "x" }, "text", child)`: an element with attributes and children. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

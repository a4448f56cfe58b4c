// JSON as a tree of native <details> elements: keyboard-operable (Enter/Space toggles), no colour needed.
import { el } from "./api.js";

/** Levels open when the tree is first drawn; deeper ones start collapsed. */
const OPEN_LEVELS = 2;

function summaryOf(value) {
  if (Array.isArray(value)) return `[…] ${value.length} item${value.length === 1 ? "" : "s"}`;
  const n = Object.keys(value).length;
  return `{…} ${n} key${n === 1 ? "" : "s"}`;
}

function leaf(value) {
  const type = value === null ? "null" : typeof value;
  return el("span", { class: `json-${type}` }, JSON.stringify(value));
}

function node(name, value, depth) {
  const label = name === undefined ? null : el("span", { class: "json-key" }, `${name}: `);
  if (value === null || typeof value !== "object") return el("li", {}, label, leaf(value));
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  const list = el("ul", { role: "group" }, ...entries.map(([k, v]) => node(k, v, depth + 1)));
  const details = el(
    "details",
    { open: depth < OPEN_LEVELS },
    el("summary", {}, label, el("span", { class: "json-summary" }, summaryOf(value))),
    entries.length > 0 ? list : null,
  );
  return el("li", {}, details);
}

/** A tree of `value` (the actor's state), in a list labelled `label`. */
export function jsonTree(value, label) {
  return el("ul", { class: "json-tree", "aria-label": label }, node(undefined, value, 0));
}

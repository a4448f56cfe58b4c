// What changed between two versions of a state, path by path, marked with words and signs, not colour.
import { el } from "./api.js";

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const pathOf = (base, key, array) => (array ? `${base}[${key}]` : base ? `${base}.${key}` : key);

/** Every added, removed and changed leaf path from `before` to `after`. */
export function jsonDiff(before, after, path = "") {
  if (Array.isArray(before) && Array.isArray(after)) {
    const changes = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      const at = pathOf(path, i, true);
      if (i >= before.length) changes.push({ op: "added", path: at, after: after[i] });
      else if (i >= after.length) changes.push({ op: "removed", path: at, before: before[i] });
      else changes.push(...jsonDiff(before[i], after[i], at));
    }
    return changes;
  }
  if (isObject(before) && isObject(after)) {
    const changes = [];
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const at = pathOf(path, key, false);
      if (!(key in before)) changes.push({ op: "added", path: at, after: after[key] });
      else if (!(key in after)) changes.push({ op: "removed", path: at, before: before[key] });
      else changes.push(...jsonDiff(before[key], after[key], at));
    }
    return changes;
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [{ op: "changed", path: path || "(the whole state)", before, after }];
}

const SIGNS = { added: "+ added", removed: "− removed", changed: "~ changed" };

/** The changes as a list a screen reader and a monochrome screen read the same way. */
export function diffList(changes) {
  if (changes.length === 0) return el("p", { class: "note" }, "No difference.");
  return el(
    "ul",
    { class: "diff" },
    ...changes.map((c) =>
      el(
        "li",
        { class: `diff-${c.op}` },
        el("strong", { class: "diff-op" }, SIGNS[c.op]),
        " ",
        el("code", {}, c.path),
        c.op === "added" ? ` = ${JSON.stringify(c.after)}` : "",
        c.op === "removed" ? ` (was ${JSON.stringify(c.before)})` : "",
        c.op === "changed" ? `: ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}` : "",
      ),
    ),
  );
}

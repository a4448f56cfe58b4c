// Prints one of the README's quickstart command lines, so CI runs exactly what a newcomer copies:
// "run" is the first sh block under "## Quickstart", "test" the second.
import { readFileSync } from "node:fs";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const section = readme.split(/^## /m).find((s) => s.startsWith("Quickstart")) ?? "";
const blocks = [...section.matchAll(/```sh\n([^\n]+)\n```/g)].map((m) => m[1]);
const line = process.argv[2] === "test" ? blocks[1] : blocks[0];
if (!line) {
  console.error("README.md has no quickstart line for", process.argv[2]);
  process.exit(1);
}
console.log(line);

export {};

/**
 * `npm run test:faults`: runs the fault scenarios with bun test, streaming its output, and ends
 * with the scenarios' summary line (`faults: S scenarios, …`) so it is the last thing printed.
 * Exits with bun test's code. `--seeds N` runs every scenario under N seeds (see seed.ts).
 */
const args = process.argv.slice(2);
// `--seeds N` (or `--seeds=N`) sweeps every scenario over N seeds; seed.ts reads it as FAULT_SEEDS.
const at = args.findIndex((a) => a === "--seeds" || a.startsWith("--seeds="));
const seeds = at < 0 ? undefined : (args[at]?.split("=")[1] ?? args[at + 1]);
if (at >= 0) args.splice(at, args[at]?.includes("=") ? 1 : 2);
if (seeds !== undefined && !/^[1-9]\d*$/.test(seeds)) {
  console.error(
    `--seeds needs a positive whole number, got "${seeds}" (e.g. npm run test:faults -- --seeds 5)`,
  );
  process.exit(2);
}
const child = Bun.spawn({
  cmd: [process.execPath, "test", "--timeout", "300000", "test/faults", ...args],
  env: seeds === undefined ? process.env : { ...process.env, FAULT_SEEDS: seeds },
  stdout: "pipe",
  stderr: "pipe",
});
let summary: string | undefined;
async function pump(stream: ReadableStream<Uint8Array>, sink: NodeJS.WriteStream): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      // Held back and printed once, last: streaming it too printed it twice.
      if (line.startsWith("faults: ")) summary = line;
      else sink.write(`${line}\n`);
    }
  }
  if (pending) sink.write(pending);
}
await Promise.all([pump(child.stdout, process.stdout), pump(child.stderr, process.stderr)]);
const code = await child.exited;
console.log(summary ?? "faults: no summary line was printed (a scenario file did not finish)");
process.exit(summary ? code : code || 1);

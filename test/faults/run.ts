export {};

/**
 * `npm run test:faults`: runs the fault scenarios with bun test, streaming its output, and ends
 * with the scenarios' summary line (`faults: S scenarios, …`) so it is the last thing printed.
 * Exits with bun test's code.
 */
const child = Bun.spawn({
  cmd: [process.execPath, "test", "--timeout", "300000", "test/faults", ...process.argv.slice(2)],
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

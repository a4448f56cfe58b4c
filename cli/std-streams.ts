import { writeSync } from "node:fs";
import type { Writer } from "./context.ts";

/**
 * The process's standard streams without Node's stream machinery: touching `process.stdout` (even
 * for `.isTTY`) makes Bun load its tty and stream modules, about 7 ms of every command. Writes
 * block until written, as Node's own stdout does on Linux for files, terminals and pipes, so
 * output keeps its order and is complete when the process exits.
 */
export function fdWriter(fd: number): Writer {
  return {
    write(text) {
      let bytes = encoder.encode(text);
      while (bytes.length > 0) {
        try {
          bytes = bytes.subarray(writeSync(fd, bytes));
        } catch (error) {
          // A descriptor its parent left non-blocking: wait for the reader.
          if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
          Bun.sleepSync(1);
        }
      }
    },
  };
}

const encoder = new TextEncoder();

interface TtyBinding {
  isTTY(fd: number): boolean;
}

/** Whether `fd` is a terminal: Bun's tty binding (what node:tty's isatty calls), else the stream's flag. */
export function isatty(fd: 0 | 1 | 2): boolean {
  try {
    const binding = (process as unknown as { binding(name: string): Partial<TtyBinding> }).binding(
      "tty_wrap",
    );
    if (typeof binding.isTTY === "function") return binding.isTTY(fd);
  } catch {
    // No such binding in this runtime: ask the stream.
  }
  return Boolean([process.stdin, process.stdout, process.stderr][fd]?.isTTY);
}

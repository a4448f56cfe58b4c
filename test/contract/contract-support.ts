import { afterEach, beforeEach, expect } from "bun:test";
import { randomUUID } from "node:crypto";

/**
 * Ids unique per case, so a backend may share one table or queue across cases (and runs)
 * without one case seeing another's data.
 */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

/** Awaits a rejection of the given class and returns it, so the case can look at its details. */
export async function rejectsWith<E extends Error>(
  promise: Promise<unknown>,
  type: ErrorClass<E>,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as E;
  }
  throw new Error(`expected a ${type.name}, but the call succeeded`);
}

/**
 * A fresh fixture per case, cleaned up after it even when the case fails. Returns a getter
 * because the fixture exists only while a case runs.
 */
export function useFixture<F extends { cleanup(): Promise<void> }>(make: () => Promise<F>): () => F {
  let current: F | undefined;
  beforeEach(async () => {
    current = await make();
  });
  afterEach(async () => {
    const fixture = current;
    current = undefined;
    await fixture?.cleanup();
  });
  return () => {
    if (!current) throw new Error("the contract fixture is used outside a test case");
    return current;
  };
}

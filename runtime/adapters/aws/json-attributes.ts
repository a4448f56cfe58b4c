import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export type Item = Record<string, AttributeValue>;

/** Values larger than this are stored gzipped; small ones stay readable in the console. */
export const DEFAULT_COMPRESS_ABOVE_BYTES = 32 * 1024;

/** DynamoDB's item limit, counted over attribute names and values. */
export const MAX_ITEM_BYTES = 400 * 1024;

/** TransactWriteItems' limit on the aggregate size of all items in one transaction. */
export const MAX_TRANSACTION_BYTES = 4 * 1024 * 1024;

/** Every JSON attribute may instead be stored gzipped under `<name>Gz`. */
export function gzName(name: string): string {
  return `${name}Gz`;
}

/**
 * Stores JSON under `name` (a string) or, when the text is over `compressAbove` and gzip makes it
 * smaller, under `<name>Gz` (binary). JSON text rather than a DynamoDB map keeps numbers exact and
 * lets any value (empty strings, deep nesting, large arrays) round-trip unchanged.
 */
export async function putJson(
  item: Item,
  name: string,
  value: unknown,
  compressAbove: number,
): Promise<void> {
  if (value === undefined) return;
  await putJsonText(item, name, JSON.stringify(value), compressAbove);
}

/** putJson for a value already serialized. */
export async function putJsonText(
  item: Item,
  name: string,
  text: string,
  compressAbove: number,
): Promise<void> {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > compressAbove) {
    const packed = await gzipAsync(text);
    if (packed.byteLength < bytes) {
      item[gzName(name)] = { B: packed };
      return;
    }
  }
  item[name] = { S: text };
}

/** Reads what putJson wrote; undefined when neither form is present. */
export async function getJson<T>(item: Item, name: string): Promise<T | undefined> {
  const plain = item[name];
  if (plain?.S !== undefined) return JSON.parse(plain.S) as T;
  const packed = item[gzName(name)];
  if (packed?.B !== undefined) return JSON.parse((await gunzipAsync(packed.B)).toString("utf8")) as T;
  return undefined;
}

export function str(value: string): AttributeValue {
  return { S: value };
}

export function num(value: number): AttributeValue {
  return { N: String(value) };
}

export function readNumber(item: Item | undefined, name: string): number | undefined {
  const value = item?.[name]?.N;
  return value === undefined ? undefined : Number(value);
}

export function readString(item: Item | undefined, name: string): string | undefined {
  return item?.[name]?.S;
}

/**
 * The item's size as DynamoDB counts it (names plus values), rounded up for numbers, so a size
 * check here refuses everything DynamoDB would refuse.
 */
export function itemBytes(item: Item): number {
  let total = 0;
  for (const [name, value] of Object.entries(item)) {
    total += Buffer.byteLength(name, "utf8");
    if (value.S !== undefined) total += Buffer.byteLength(value.S, "utf8");
    else if (value.B !== undefined) total += value.B.byteLength;
    else if (value.N !== undefined) total += Math.ceil(value.N.length / 2) + 1;
    else total += 1;
  }
  return total;
}

/** Keys must stay under DynamoDB's 1 KB sort-key limit; an id too long for that is replaced by its hash. */
export function boundedKey(prefix: string, id: string, maxBytes = 1000): string {
  const key = `${prefix}${id}`;
  if (Buffer.byteLength(key, "utf8") <= maxBytes) return key;
  return `${prefix}sha256:${createHash("sha256").update(id).digest("hex")}`;
}

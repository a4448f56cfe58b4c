import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { DurableError, StoreUnavailableError } from "../../core/errors.ts";
import type { StateBlobStore, StoredBlob } from "../../ports/state-blobs.ts";
import { STATE_OBJECT_PREFIX, SWEEP_CURSOR_KEY } from "../shared/state-objects.ts";
import { describe, isErrorNamed } from "./errors.ts";

export interface S3StateBlobsOptions {
  client: S3Client;
  bucket: string;
}

/** DeleteObjects takes at most this many keys. */
const DELETE_BATCH = 1000;

/**
 * Large states in the fabric's S3 bucket (encrypted, SSL-only, private: see infra/state-bucket.ts).
 * Every failure is a StoreUnavailableError: a state the turn cannot write or read is a store that
 * did not answer, and the turn is retried like one.
 */
export class S3StateBlobs implements StateBlobStore {
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(options: S3StateBlobsOptions) {
    this.#client = options.client;
    this.#bucket = options.bucket;
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    await this.#call(`writing ${key}`, () =>
      this.#client.send(
        new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: body, ContentType: "application/gzip" }),
      ),
    );
  }

  async get(key: string): Promise<Uint8Array | null> {
    return this.#call(`reading ${key}`, async () => {
      try {
        const result = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
        return result.Body ? await result.Body.transformToByteArray() : new Uint8Array();
      } catch (error) {
        if (isErrorNamed(error, "NoSuchKey", "NotFound")) return null;
        throw error;
      }
    });
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      await this.#call(`deleting ${batch.length} state object(s)`, async () => {
        if (batch.length === 1) {
          await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: batch[0] }));
          return;
        }
        const result = await this.#client.send(
          new DeleteObjectsCommand({
            Bucket: this.#bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        const failed = result.Errors ?? [];
        if (failed.length > 0) throw new Error(`${failed.length} not deleted: ${failed[0]?.Message ?? ""}`);
      });
    }
  }

  async list(after: string | undefined, limit: number): Promise<StoredBlob[]> {
    return this.#call("listing state objects", async () => {
      const result = await this.#client.send(
        new ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: STATE_OBJECT_PREFIX,
          MaxKeys: Math.max(1, limit),
          ...(after ? { StartAfter: after } : {}),
        }),
      );
      return (result.Contents ?? []).flatMap((o) =>
        o.Key ? [{ key: o.Key, writtenAt: o.LastModified?.getTime() ?? 0 }] : [],
      );
    });
  }

  async readCursor(): Promise<string | undefined> {
    const body = await this.get(SWEEP_CURSOR_KEY);
    const text = body ? new TextDecoder().decode(body) : "";
    return text.startsWith(STATE_OBJECT_PREFIX) ? text : undefined;
  }

  async writeCursor(after: string | undefined): Promise<void> {
    await this.#call("saving the sweep's place", () =>
      this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: SWEEP_CURSOR_KEY,
          Body: new TextEncoder().encode(after ?? ""),
          ContentType: "text/plain",
        }),
      ),
    );
  }

  async #call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof DurableError) throw error;
      throw new StoreUnavailableError(`S3 bucket ${this.#bucket}: ${what} failed: ${describe(error)}`, {
        hint: "check that the bucket exists and that the function may use it (durable deploy creates both)",
        cause: error,
      });
    }
  }
}

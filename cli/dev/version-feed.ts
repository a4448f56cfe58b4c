import type { LocalActorStore } from "../../runtime/adapters/local/index.ts";
import { withIsoTime } from "../views.ts";

type Listener = (chunk: string) => void;

/**
 * Polls the history of committed versions once for all subscribers and pushes each new version
 * as a server-sent event. Commits from any process (the dev server, `durable invoke`) show up.
 */
export class VersionFeed {
  readonly #store: LocalActorStore;
  readonly #listeners = new Map<Listener, string | undefined>();
  #afterSeq: number | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #polling = false;

  constructor(store: LocalActorStore) {
    this.#store = store;
  }

  stream(actorId: string | undefined, signal: AbortSignal): Response {
    const encoder = new TextEncoder();
    let listener: Listener | undefined;
    const body = new ReadableStream<Uint8Array>({
      start: async (controller) => {
        // Where the feed starts is fixed before the client hears ": connected": a client that has
        // heard it gets every version committed after that, however soon.
        this.#afterSeq ??= await this.#store.latestSeq();
        listener = (chunk) => controller.enqueue(encoder.encode(chunk));
        this.#listeners.set(listener, actorId);
        controller.enqueue(encoder.encode(": connected\n\n"));
        this.#ensurePolling();
        signal.addEventListener("abort", () => {
          if (listener) this.#listeners.delete(listener);
          try {
            controller.close();
          } catch {}
        });
      },
      cancel: () => {
        if (listener) this.#listeners.delete(listener);
      },
    });
    return new Response(body, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" },
    });
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#listeners.clear();
  }

  #ensurePolling(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.#poll(), 50);
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.#listeners.size === 0) return;
    this.#polling = true;
    try {
      if (this.#afterSeq === undefined) this.#afterSeq = await this.#store.latestSeq();
      const entries = await this.#store.history({ afterSeq: this.#afterSeq, limit: 500 });
      for (const e of entries) {
        this.#afterSeq = e.seq;
        const chunk = `id: ${e.seq}\nevent: version\ndata: ${JSON.stringify(withIsoTime(e, "at"))}\n\n`;
        for (const [listener, actorId] of this.#listeners)
          if (actorId === undefined || actorId === e.actorId) listener(chunk);
      }
    } finally {
      this.#polling = false;
    }
  }
}

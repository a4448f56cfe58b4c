import { expect, test } from "bun:test";
import { actor, client, type InvokeRequest, type InvokeResponse, type Invoker } from "../../runtime/index.ts";

// The typed client's signatures are checked by `tsc` in CI: each @ts-expect-error below fails the
// typecheck if the client stops refusing that call. The test also runs the calls for real.
const shapes = actor("shapes", {
  state: () => ({ n: 0 }),
  handlers: {
    withDefault(ctx, input: { by?: number } = {}) {
      ctx.state.n += input.by ?? 1;
      return ctx.state.n;
    },
    optional: (_ctx, input?: { v: number }) => input?.v ?? -1,
    required: (_ctx, input: { v: number }) => ({ doubled: input.v * 2 }),
    none: (ctx) => ctx.state.n,
  },
});

const calls: InvokeRequest[] = [];
const recorder = {
  async invoke(request: InvokeRequest): Promise<InvokeResponse> {
    calls.push(request);
    return {
      mode: "sync",
      messageId: "m",
      actorId: request.actorId,
      actorType: "shapes",
      handler: request.handler ?? "",
      result: 1,
      version: 1,
      duplicate: false,
    };
  },
} as Invoker;

test("client methods take no input, an optional input or a required one, as the handler declares", async () => {
  const s = client(shapes, recorder).get("shapes-1");
  await s.withDefault();
  await s.withDefault({ by: 2 });
  await s.optional();
  await s.required({ v: 2 });
  await s.none();
  // @ts-expect-error a required input cannot be omitted
  await s.required();
  // @ts-expect-error the input's type is checked
  await s.required({ v: "2" });
  // @ts-expect-error a handler without input takes none
  await s.none(1);
  expect(calls.map((c) => [c.handler, c.input])).toEqual([
    ["withDefault", undefined],
    ["withDefault", { by: 2 }],
    ["optional", undefined],
    ["required", { v: 2 }],
    ["none", undefined],
    ["required", undefined],
    ["required", { v: "2" }],
    ["none", 1],
  ]);
});

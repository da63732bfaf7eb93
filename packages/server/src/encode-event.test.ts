import { RivuletError, defineContract, encodeEvent, jsonCodec, stream, superjsonCodec, type DataCodec } from "@rivulet/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { encodeYielded } from "./encode-event.js";
import { resolveOptions } from "./options.js";

const contract = defineContract({
  s: stream({
    events: {
      price: z.object({ symbol: z.string(), price: z.number(), at: z.date() }),
      note: z.object({ text: z.string() }),
    },
  }),
});

const optionsFor = (codec: DataCodec, validate: boolean) => resolveOptions<never, unknown>({ codec, validate });

/** An event of the contract, with text that holds line breaks, NULs and non-ASCII. */
const event = fc.oneof(
  fc.record({
    event: fc.constant("price" as const),
    data: fc.record({ symbol: fc.string(), price: fc.double({ noNaN: true, noDefaultInfinity: true }), at: fc.date({ noInvalidDate: true }) }),
  }),
  fc.record({ event: fc.constant("note" as const), data: fc.record({ text: fc.string({ unit: "binary" }) }) }),
);
const plainId = fc.option(fc.string({ unit: "binary" }).filter((id) => !/[\r\n\0]/.test(id)), { nil: undefined });

describe("encodeYielded", () => {
  it.each([
    ["json", jsonCodec],
    ["superjson", superjsonCodec],
  ] as const)("frames exactly what encodeEvent frames, with the %s codec, validated or not", (_, codec) => {
    fc.assert(
      fc.property(event, plainId, fc.boolean(), (value, id, validate) => {
        const options = optionsFor(codec, validate);
        const parsed = validate ? contract.s.events[value.event].parse(value.data) : value.data;
        const encoded = codec.encode(parsed);
        const expected = encodeEvent({ event: value.event, id, data: encoded.data, meta: encoded.meta });
        expect(encodeYielded({ ...value, id }, contract.s, options)).toBe(expected);
      }),
    );
  });

  it.each(["a\nb", "a\rb", "a\0b"])("refuses an ID holding %j with INVALID_FIELD", (id) => {
    for (const codec of [jsonCodec, superjsonCodec]) {
      const thrown = (() => {
        try {
          encodeYielded({ event: "note", data: { text: "x" }, id }, contract.s, optionsFor(codec, true));
        } catch (error) {
          return error;
        }
        return undefined;
      })();
      expect(thrown).toBeInstanceOf(RivuletError);
      expect((thrown as RivuletError).code).toBe("INVALID_FIELD");
    }
  });

  it("writes retry, and a custom codec's multi-line data as several data lines", () => {
    const lines: DataCodec = { name: "lines", encode: (value) => ({ data: `first\n${JSON.stringify(value)}` }), decode: () => null };
    expect(encodeYielded({ event: "note", data: { text: "x" }, id: "7", retry: 250 }, contract.s, optionsFor(jsonCodec, true))).toBe(
      'event: note\nid: 7\nretry: 250\ndata: {"text":"x"}\n\n',
    );
    expect(encodeYielded({ event: "note", data: { text: "x" } }, contract.s, optionsFor(lines, true))).toBe(
      'event: note\ndata: first\ndata: {"text":"x"}\n\n',
    );
  });
});

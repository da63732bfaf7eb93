import superjson from "superjson";
import { describe, expect, it } from "vitest";
import type { DataCodec, DataDecoder } from "./codec.js";
import { superjsonCodec } from "./superjson-codec.js";
import { readMeta } from "./superjson-format.js";
import { superjsonLiteCodec } from "./superjson-lite-codec.js";

/** The codec's decoder for one stream: both superjson codecs make one (superjsonDecoder). */
function streamDecoder(codec: DataCodec): DataDecoder {
  if (codec.decoder === undefined) throw new Error(`${codec.name} makes no stream decoder`);
  return codec.decoder();
}

/** What superjson itself makes of a wire event. */
function bySuperjson(data: string, meta: string | undefined): unknown {
  return superjsonCodec.decode(data, meta);
}

describe.each([
  ["superjsonCodec", superjsonCodec],
  ["superjsonLiteCodec", superjsonLiteCodec],
] as const)("superjsonDecoder(%s.decode)", (_, codec) => {
  const decoderFor = (): DataDecoder => streamDecoder(codec);

  const cases: Array<[string, unknown]> = [
    ["a Date at a key", { symbol: "ACME", at: new Date(1_735_689_600_123), seq: 1 }],
    ["nested Dates, also in arrays", { a: { b: new Date(5) }, list: [{ at: new Date(6) }, { at: new Date(7) }] }],
    ["keys with dots and backslashes", { "a.b": new Date(8), "c\\d": { "e.f\\": new Date(9) } }],
    ["a Date as the value itself", new Date(10)],
    ["no Dates", { n: 1, s: "x" }],
    ["a Map (not a Date-only meta)", { m: new Map([["k", new Date(11)]]) }],
    ["undefined and a BigInt", { u: undefined, big: 12n }],
  ];
  for (const [name, value] of cases) {
    it(`reads ${name} as superjson does`, () => {
      const decode = decoderFor();
      const { data, meta } = superjsonCodec.encode(value);
      // Twice: the second time the meta's paths are the ones kept from the first.
      expect(decode(data, meta)).toStrictEqual(bySuperjson(data, meta));
      expect(decode(data, meta)).toStrictEqual(value);
    });
  }

  it("switches between metas, each read as superjson reads it", () => {
    const decode = decoderFor();
    const values = [{ at: new Date(1) }, { other: new Date(2) }, { at: new Date(3) }, { m: new Set([1]) }, { at: new Date(4) }];
    for (const value of values) {
      const { data, meta } = superjsonCodec.encode(value);
      expect(decode(data, meta)).toStrictEqual(value);
    }
  });

  it("leaves data that does not hold a string where the meta puts a Date to superjson", () => {
    const decode = decoderFor();
    const meta = '{"values":{"at":["Date"],"x.y":["Date"]},"v":1}';
    for (const data of ['{"at":5,"x":{"y":"1970-01-01T00:00:00.000Z"}}', '{"at":"1970-01-01T00:00:00.000Z","x":null}', '{"at":"2000-01-01T00:00:00.000Z","x":{}}', "[1]"]) {
      expect(decode(data, meta)).toStrictEqual(bySuperjson(data, meta));
    }
  });

  it("throws what superjson throws for a path through __proto__, and JSON.parse's error for bad data", () => {
    const decode = decoderFor();
    const meta = '{"values":{"__proto__.at":["Date"]},"v":1}';
    expect(() => bySuperjson('{"__proto__":{"at":"x"}}', meta)).toThrow(/__proto__/);
    expect(() => decode('{"__proto__":{"at":"x"}}', meta)).toThrow(/__proto__/);
    expect(() => decode("{", '{"values":{"at":["Date"]},"v":1}')).toThrow(SyntaxError);
  });

  it("reads data without meta as plain JSON", () => {
    expect(decoderFor()('{"a":[1,"2"]}', undefined)).toStrictEqual({ a: [1, "2"] });
  });
});

describe("readMeta(…).datesOnly: the metas superjsonCodec's decoder reads without superjson", () => {
  it("takes metas of Dates only, in superjson's v1 path syntax", () => {
    for (const meta of [
      '{"values":["Date"],"v":1}',
      '{"values":{"a.b":["Date"],"c\\\\.d":["Date"],"e\\\\\\\\":["Date"]},"v":1}',
      JSON.stringify(superjson.serialize({ a: [new Date(0)] }).meta),
      '{"values":{"a":["Date"]}}',
    ]) {
      expect(readMeta(JSON.parse(meta)).datesOnly, meta).toBe(true);
    }
  });

  it("leaves every other meta to superjson", () => {
    for (const meta of [
      '{"values":{"a":["Date"]},"v":1,"referentialEqualities":{"a":["b"]}}',
      '{"values":{"a":["map"]},"v":1}',
      '{"values":[["typed-array","Uint8Array"]],"v":1}',
      '{"values":{"a":["Error"]},"v":1}',
    ]) {
      expect(readMeta(JSON.parse(meta)).datesOnly, meta).toBe(false);
    }
    for (const meta of ["null", '{"values":{"a\\\\x":["Date"]},"v":1}', '{"values":{"constructor":["Date"]},"v":1}', '{"values":{"a":[["class","P"]]},"v":1}']) {
      expect(() => readMeta(JSON.parse(meta)), meta).toThrow();
    }
  });
});

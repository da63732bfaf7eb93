import type { ZodType } from "zod";
import type { DataCodec } from "./codec.js";
import type { AnyStream } from "./contract.js";
import { RivuletError, toIssues } from "./errors.js";
import { outputIsInput } from "./output-is-input.js";

export interface DecoderOptions {
  /** The codec the stream's data travels with: its own, already chosen (see `codecOf`). */
  codec: DataCodec;
  /**
   * Check every event against its schema. Off, a schema that transforms is
   * still run: that is what gives the data its type.
   */
  validate: boolean;
}

/**
 * The receiving half of a compiled stream: what a client needs to read one
 * stream's events, without the encoders and framing only a server uses.
 */
export interface EventDecoder {
  readonly stream: AnyStream;
  readonly codec: DataCodec;
  /**
   * Decodes one received event's data and parses it by its schema.
   * @throws {RivuletError} `INVALID_EVENT` for an unknown event, data the codec cannot read or that fails its schema.
   */
  decode(event: string, data: string, meta: string | undefined): unknown;
}

/** What the decoder knows of one event. */
interface EventPlan {
  schema: ZodType;
  /** Whether a parsed value may differ from a valid input (transforms, defaults, coercion): it must be parsed even unchecked. */
  reshapes: boolean;
}

/** @example const ticker = compileDecoder(contract.ticker, { codec: superjsonCodec, validate: true }); */
export function compileDecoder(stream: AnyStream, { codec, validate }: DecoderOptions): EventDecoder {
  const plans = new Map<string, EventPlan>();
  for (const [name, schema] of Object.entries(stream.events)) plans.set(name, { schema, reshapes: !outputIsInput(schema) });
  const decodeData = codec.decoder?.() ?? ((data: string, meta: string | undefined) => codec.decode(data, meta));
  return {
    stream,
    codec,
    decode(event, data, meta) {
      const plan = plans.get(event);
      if (!plan) throw unknownEvent(event);
      let value: unknown;
      try {
        value = decodeData(data, meta);
      } catch (cause) {
        // The codec's own error says what it could not read, and what to do (superjsonLiteCodec's does).
        const why = cause instanceof RivuletError ? `: ${cause.message}` : ".";
        throw new RivuletError("INVALID_EVENT", `Event "${event}" could not be decoded${why}`, { cause });
      }
      if (!validate && !plan.reshapes) return value;
      const result = plan.schema.safeParse(value);
      if (!result.success) {
        throw new RivuletError("INVALID_EVENT", `Event "${event}" does not match the contract.`, {
          cause: result.error,
          issues: toIssues(result.error.issues),
        });
      }
      return result.data;
    },
  };
}

/** The error for an event name the stream does not have. */
export function unknownEvent(event: string): RivuletError {
  return new RivuletError("INVALID_EVENT", `Event "${event}" is not one of the stream's events.`);
}

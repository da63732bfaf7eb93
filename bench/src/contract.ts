import { defineContract, stream } from "@rivulet/shared";
import { z } from "zod";

const Price = z.object({
  symbol: z.string(),
  price: z.number(),
  volume: z.number(),
  at: z.date(),
  seq: z.number(),
});

const Item = z.object({
  id: z.number(),
  sku: z.string(),
  name: z.string(),
  price: z.number(),
  qty: z.number(),
  tags: z.array(z.string()),
});

const Book = z.object({ seq: z.number(), at: z.date(), items: z.array(Item) });

/** The input of the throughput stream: how many events, and which. */
export const StreamInput = z.object({
  n: z.number().int().positive(),
  size: z.enum(["small", "large"]),
});

/** The benchmark's contract: a finite stream for throughput, a topic for fan-out. */
export const contract = defineContract({
  stream: stream({ input: StreamInput, events: { price: Price, book: Book } }),
  topic: stream({
    events: { tick: z.object({ seq: z.number(), sentAt: z.number(), at: z.date() }) },
  }),
});

/**
 * The durable section's contract: the throughput stream as it is (`stream`),
 * the same stream durable (`run`: a request starts a run of the same events),
 * and a durable run of fan-out ticks (`ticks`) that many clients join.
 */
export const durableContract = defineContract({
  stream: contract.stream,
  run: stream({ durable: true, input: StreamInput, events: contract.stream.events }),
  ticks: stream({ durable: true, events: contract.topic.events }),
});

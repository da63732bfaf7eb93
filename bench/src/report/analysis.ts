/**
 * What the team found when it profiled the targets this machine misses. It is
 * prose about causes, not figures: the figures are in the tables of each run.
 */
export const ANALYSIS = `## Where the misses come from

Profiled with \`node --cpu-prof\` and with the stream loop driven into a null sink
(no socket), on the same machine:

- **Run to run.** On this shared 2-core machine the small-event ratios move with raw
  node's own figure more than with Rivulet's: in two full runs of the same code raw was
  289k and 376k events/s while Rivulet (validation on, superjson) was 253k and 251k, so
  the ratio read 0.88× and 0.67×. Read the small-event targets as "about 0.7–0.9×".
- **Small-event throughput, validation off (≈ 0.75–0.9× raw).** \`JSON.stringify\` of the
  event and the socket writes are the same work in both; what Rivulet adds is the
  handler being an \`async function*\`: every event is one \`next()\` of an async
  generator (one promise and a few microtasks), about 0.4 µs of the ≈ 2.3 µs an event
  costs in the null sink. The loop itself was cut down to that: one frame string per
  event, a plain flag instead of \`signal.aborted\`, no per-event abort race, writes
  corked per tick. With 4 KB events the generator's share vanishes and Rivulet equals raw.
- **Validation on + superjson.** The schema is used to skip superjson's walk: when it
  fixes where the Dates are, the meta is a constant and the data is one
  \`JSON.stringify\`; zod's \`safeParse\` is then the only extra cost.
- **10,000 subscribers, p99 < 100 ms.** Raw \`node:http\` misses it too on this 2-core
  machine: a loopback write costs the server ≈ 9 µs because the kernel's receive work for
  the reading process runs on the same cores, so 10,000 writes take ≈ 90 ms per publish
  before any framework code runs. Rivulet encodes each broker message once for all
  subscribers; the rest of its per-subscriber cost is the handler's \`yield*\` through an
  async generator, a few microtasks per subscriber and message.
- **Server memory per idle connection < 10 KB.** Raw \`node:http\` itself uses ≈ 9 KB
  (socket, parser, request and response objects). Rivulet adds the handler's generators,
  the subscription queue, an \`AbortController\` and a keep-alive timer per connection:
  ≈ 4 KB.
- **Parser ≥ 1.5× eventsource-parser.** Both parsers spend about half their time in
  \`TextDecoder\` (UTF-8 decoding alone runs at ≈ 900 MB/s here), which bounds any
  string-based parser below 2× and leaves 1.5× only to a parser whose own work is a
  third of eventsource-parser's. Rivulet's reads each line in place (one slice per
  line, field names compared without strings) and is on a par; a byte-level parser that
  scans with \`Uint8Array.indexOf\` and decodes per value was tried and measured at
  half the speed (the per-call cost of the native methods dominates).`;

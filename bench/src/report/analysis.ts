/**
 * What the team found when it profiled the targets this machine misses. It is
 * prose about causes, not figures: the figures are in the tables of each run.
 */
export const ANALYSIS = `## Where the misses come from

Profiled with \`node --cpu-prof\` and with the stream loop driven into a null sink
(no socket), on the same machine:

- **Run to run.** This shared 2-core machine is noisy: the same contender's rounds spread
  by up to ±25 % within one run, and two runs of the same code have given raw node 289k
  and 376k small events/s. Read the small-event ratios as ±0.05.
- **Small-event throughput, validation off (≈ 0.75–0.85× raw).** A handler is an
  \`async function*\`, and that alone costs what the target leaves: a loop that
  stringifies and frames the small event costs 1.4–2.2 µs per event here, the same loop
  through \`for await\` over an async generator 1.9–2.7 µs (one \`next()\` promise and a
  few microtasks per event): 0.3–0.6 µs more in four rounds of five, before any framework
  code runs. Rivulet's own work on top of that is about 0.3 µs (null sink: 2.1 µs per
  event against 1.8 µs for the bare \`for await\` loop). Tried, measured and dropped:
  joining a tick's events into one string per \`res.write\` (more server CPU per event
  than corking: 3.2 against 2.9–3.1 µs); no corking at all (no change: node already sends
  writes queued behind one in flight as one \`writev\`, for raw node too); several
  \`next()\` calls in flight (slower). With 4 KB events the generator's share vanishes and
  Rivulet equals raw.
- **Validation on + superjson.** The schema is used to skip superjson's walk: when it
  fixes where the Dates are, the meta is a constant and the data is one
  \`JSON.stringify\`; zod's \`safeParse\` is then the only extra cost. (With validation
  off there is no schema to plan from, so superjson's Date walk runs per event: that is
  why "validate off, superjson" is the slowest Rivulet row.)
- **10,000 subscribers, p99 < 100 ms.** Raw \`node:http\` misses it too, by as much: at
  10 publishes/s the server's one core is busy (≈ 100 % CPU) writing each message to
  10,000 loopback sockets, whose kernel receive work runs on the same two cores as the
  reader's. Rivulet now costs what raw node costs: a handler that returns its
  subscription gets each message written from inside \`publish\` (no generator, promise
  or microtask per subscriber), the message is encoded once for all of them, and a
  response's first write in a tick goes out at once, as a bare \`res.write\`. A handler
  that \`yield*\`s the subscription instead pays the generator per message and
  subscriber: see its row.
- **Memory at 1,000 connections.** There Rivulet's RSS per connection reads several KB
  above raw node's while its heap per connection is the same: a few MB that do not grow
  with the connections (compiled code, heap growth steps), which at 10,000 connections
  are spread thin enough that the two read alike. The target is read at 10,000.
- **Parser ≥ 1.5× eventsource-parser.** Both parsers decode the same bytes, and on
  Node 20 the streaming \`TextDecoder\` both use is the fastest UTF-8 decoder there is:
  968–1,065 MB/s on this stream, against 591 MB/s for \`decode\` without \`stream\` (with
  the chunk's last partial character carried over by hand), 595 MB/s for
  \`Buffer.toString\` and 622 MB/s for \`StringDecoder\`. Decoding the 50 MB alone
  takes ≈ 50 ms, and eventsource-parser's line work ≈ 47 ms more; 1.5× would leave
  Rivulet ≈ 15 ms for its line work, a third of what either parser needs (Rivulet's is
  ≈ 53 ms: it also keeps the last event ID across events, as the WHATWG model says). A
  byte-level parser that scans with \`Uint8Array.indexOf\` and decodes per value was
  tried and measured at half the speed (the per-call cost of the native methods
  dominates).`;

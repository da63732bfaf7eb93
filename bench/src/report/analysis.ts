/**
 * What the team found when it profiled the targets this machine misses. It is
 * prose about causes, not figures: the figures are in the tables of each run.
 */
export const ANALYSIS = `## Where the misses come from

Profiled with \`node --cpu-prof\` and with the stream loop driven into a null sink
(no socket), on the same machine:

- **Run to run.** This shared 2-core machine is noisy: the same contender's rounds spread
  by up to ±25 % within one run, and two runs of the same code have given raw node 289k
  and 376k small events/s. Read the small-event ratios as ±0.05. Some days the host runs
  at half speed for everyone (a run of 2026-12-03 09:52 UTC gave raw node 178k small
  events/s with the machine otherwise idle, one of 06:12 the same day 371k); the ratios
  between contenders moved far less than that. Hence three runs, and targets judged per run
  where the issue says "every run", else on the median. The three runs of this page
  (2026-12-03 17:35–17:53 UTC) ran on a 2-core AMD EPYC host at full speed (raw node 360–446k
  small events/s; the same host gave 211–232k at 14:17–14:52 the same day). Targets set in
  absolute figures (events/s, ms, minutes) read worse on a slow host for every contender
  alike; the ratios are what compares.
- **Wall time < 10 min (issue 16).** It was 11–12 min on a half-speed host (6 min 44 s –
  7 min 8 s on a full-speed one): every round read the same 300,000 small and 30,000 large
  events from every server, and the two tRPC rows read them at a tenth of raw's rate (279 s of
  one run's 727 s). The slow rows now stream a share of N per round (tRPC and toTRPC a fifth,
  Hono half; the tables name their N), so each of their rounds lasts seconds like the others';
  events/s is a rate either way, and 60,000 events still take tRPC two seconds a round.
- **Small-event throughput: the Date, then the generator (issue 16).** Callgrind over a real
  loopback socket (the server under valgrind, a bytes-only reader in another process;
  instructions for 60,000 events minus those for 20,000, \`node --predictable\`) shows where a
  small event goes, in raw \`node:http\` as in Rivulet: raw spends 24.1k instructions per event,
  11.7k of them writing its one Date (\`JSON.stringify\` calls back into
  \`Date.prototype.toJSON\`, whose \`toISOString\` goes through \`printf\`). Rivulet's own work on
  top was ≈ 2.4k: zod's \`safeParse\` (≈ 1.4k), the line-separator scan (≈ 0.6k), the event-id
  checks (≈ 0.3k) and the emit → writer → \`res.write\` calls (≈ 0.6k). The meta line costs
  nothing measurable, and the writes are raw's: node's \`res.write\` corks the socket on a
  tick's first write, so both send one \`writev\` per tick. The schema-planned encoders
  (superjson's, and now plain JSON's) know where the Dates are, so they write the ISO text
  themselves (\`date-json.ts\`: by arithmetic, checked against \`toISOString\` for every day of
  the years 0–9999, keeping the last second's text) into a copy that is then stringified: the
  same bytes; a Date that is not plain, or whose methods were replaced, still goes through
  \`toJSON\`. Per event: emit 28.6k → 17.7k instructions (0.73× raw's), the generator row 29.6k
  → 20.8k, validated JSON 28.4k → 18.0k; server CPU in one process, medians of 9: emit 4.51 →
  3.43 µs (raw 3.12). Fewer instructions than raw, yet about raw's CPU time: the difference is
  likely the allocations (zod's output object, the copy, the encoded event) and their GC, not
  confirmed. The generator: the same loop through \`for await\` over an async generator costs
  0.3–0.6 µs per event more than written plainly (one \`next()\` promise and a few microtasks per
  event), so the yield rows stay behind the emit row. Tried, measured and dropped earlier:
  joining a tick's events into one string per \`res.write\` (more CPU than corking); no
  corking (no change); several \`next()\` calls in flight (slower). With 4 KB events the
  generator's share vanishes. In this page's runs every Rivulet row read 1.25–1.38× better-sse's
  on the small event, validated superjson 0.92–1.18× raw's (median 1.00×), emit 1.05–1.34×.
- **Validation on + superjson.** The schema is used to skip superjson's walk: when it
  fixes where the Dates are, the meta is a constant and the data is one
  \`JSON.stringify\` of a copy holding the Dates' ISO text (see the bullet above); zod's
  \`safeParse\` is then the only extra cost, and plain JSON takes the same encoder. With validation off
  (issue 16) the same plan serves every value that has the schema's shape — a check compiled
  from the schema (keys in the schema's order, the planned Dates valid, numbers finite),
  ≈ 41 ns for the small event, anything else taking superjson's walk, so the output is
  exactly superjson's: "validate off, superjson" went from 0.54× to 0.73× raw (callgrind:
  30.6k → 23.9k instructions per small event, 374k → 326k for the 4 KB one). Skipping
  \`safeParse\` for a check-free schema when the value fits was tried and dropped: zod's
  compiled parse of the small object (≈ 27 ns) beats the shape check (≈ 50 ns then).
- **4 KB events against better-sse (issue 16).** better-sse validates nothing. A validated
  4 KB event costs zod's \`safeParse\` of its 40 records (2.7–3.4 µs here: the bench's event
  parsed in a loop) and the collection of the copy zod returns: ≈ 5 µs of server CPU per event in
  all (plain JSON validated against not, 28.2 against 23.1 µs, in an \`--only throughput\` run
  of 2026-12-03 17:33 UTC), where better-sse's own work over raw's is ≈ 3.6 µs (26.7 against
  23.1). Encoding the value as the handler gave it, not zod's output, would skip the copy but
  send the keys the schema strips: not done. Unvalidated plain JSON is raw's (1.01× there; its
  planned encoder looks only along the Dates' paths — a whole-value shape check first cost the
  4 KB event more than its Date saved, 1.00× → 0.82×, and was removed); unvalidated superjson
  pays the shape check that keeps its meta exact (0.88×). Plain JSON against superjson, both
  validated, is the same zod parse and the same planned encoder, superjson adding a constant
  39-byte meta line: 0.98–1.02× in this page's runs, equal within a run's spread, so the "JSON
  never slower" target at 4 KB is met or missed by the noise.
- **10,000 subscribers, p99 < 100 ms.** Raw \`node:http\` misses it too, by as much: at
  10 publishes/s the server's one core is busy (≈ 100 % CPU) writing each message to
  10,000 loopback sockets, whose kernel receive work runs on the same two cores as the
  reader's. Rivulet now costs what raw node costs: a handler that returns its
  subscription gets each message written from inside \`publish\` (no generator, promise
  or microtask per subscriber), the message is encoded once for all of them, and a
  response's first write in a tick goes out at once, as a bare \`res.write\`. A handler
  that \`yield*\`s the subscription instead pays the generator per message and
  subscriber: see its row.
- **10,000 subscribers over two processes on Redis, p99 < 100 ms (issue 16).** Met: 76.6–132.3
  ms in this page's runs (median 84.0 ms), where raw \`node:http\` in one process read 126.6–174.7
  ms; 53–73 ms on an Intel host the same morning, 104–194 ms when this host ran at half speed. Each process holds 5,000 connections and gets every message from its one
  \`XREAD BLOCK\`, so each does half the socket writes that one process would. The same rows
  measured while other jobs loaded the host (load ≈ 4.5, 2026-12-03) read 258–519 ms: timed
  inside the server processes then, the hop through Redis was 3.1 ms at the median and the
  hand-off to the 5,000 subscribers 3.5 ms, but each process was busy ≈ 71 ms per message
  with the 5,000 \`res.write\`s, whose loopback TCP work the kernel charges to the writer;
  a CPU profile gave the socket writes 63–74 % of that time, node's HTTP write path ≈ 10 %,
  Rivulet's own code 1.5–2 %. Rivulet's CPU per delivery is raw node's; what decides p99 is
  how much of the two cores the writers get.
- **RSS per connection on Redis ≤ raw node's (issue 16).** The heap says what a connection
  costs; RSS moves by pages. The fan-out table's heap column gives Rivulet on Redis 5.1 KB per
  connection against raw's 4.6 KB. One server process with 5,000 idle topic connections, the heap
  after a full GC before and after them (2026-12-03, twice each): raw \`node:http\` 4,741–4,743 B
  per connection, Rivulet on \`memoryBroker\` 4,921–4,928 B (+3.8 %), on \`redisBroker\`
  5,205–5,211 B (+9.9 %), while RSS per connection read 7.4–10.5 KB for all three in no stable
  order. Heap snapshots with 1 and 2,000 connections, diffed per constructor, give Rivulet's
  share of a connection: the subscriber's bounded queue (136 B), the response's writer (104 B),
  the pushed source and the node sink (48 B each), a close listener (56 B) and a closure
  context (88 B), against one bound function (48 B) that raw has and Rivulet has not; node's
  request, response, socket and parser (≈ 4.3 KB) are the rest for both. The 1.00–1.11× of the
  RSS target is RSS's page granularity (each process's RSS moves in steps of hundreds of KB over
  its 5,000 connections) around a heap 4–10 % above raw's.
- **The client's bundle ≤ 8 KB (issue 16).** Measured as the bundle section says. It was
  15.3 KB gzipped (43.6 KB minified) at the start of 2026-12-03's work (the issue's 8.4 KB was
  measured otherwise; no method tried here reproduced it) and was 12.1 KB (12,374 B) after two moves:
  the client decodes with \`compileDecoder\` (\`event-decoder.ts\`), the receiving half of a
  compiled stream, so the server's framing, \`encode\` and the schema plan are no longer in a
  browser bundle (−1.1 KB gzipped); and the client's default codec is \`superjsonLiteCodec\`,
  superjson's wire format (Date, undefined, BigInt, NaN/±Infinity/−0, Map, Set, RegExp, Error,
  URL, typed arrays, shared and circular references) read and written by Rivulet itself,
  property-tested against superjson 2.2.6 both ways, so the superjson library and its
  dependency are not in it (−2.9 KB; an app that registers classes or custom transformers with
  superjson passes \`superjsonCodec\`, and the lite codec says so with \`INVALID_EVENT\` when it
  meets one). It is now 12.8 KB (13,120 B): the typed client's speed-ups of this page's runs
  added 0.7 KB gzipped (the hand-read Date text and the Dates-only meta walk in the lite codec,
  the parser's keeper and line fast paths). What is left, minified (the module list of the
  bundle section): the lite codec's reader and writer ≈ 6.4 KB, the parser ≈ 4.8 KB (its fast
  paths, see the parser bullet: it was 1.9 KB), the transport (\`connect\`, \`reconnect\`, \`subscription\`, \`response\`) ≈ 7 KB,
  the durable-run client ≈ 4 KB, \`defineContract\`'s checks ≈ 2.4 KB, \`RivuletError\` and its
  code table ≈ 2.1 KB, the option checks ≈ 1.7 KB. Each of these is behaviour users rely on
  (validation and error codes on bad input, reconnection with Last-Event-ID, durable runs
  joined from any tab); 8 KB gzipped (≈ 22 KB minified) would mean dropping a third of it, and
  was not done.
- **Memory at 1,000 connections.** There Rivulet's RSS per connection reads several KB
  above raw node's while its heap per connection is the same: a few MB that do not grow
  with the connections (compiled code, heap growth steps), which at 10,000 connections
  are spread thin enough that the two read alike. The target is read at 10,000.
- **Parser ≥ 1.2× eventsource-parser (issue 16; 1.5× before).** Both decode with Node 20's
  streaming \`TextDecoder\`: 734M instructions per 50 MB round at 1 KB chunks, 695M at 16 KB,
  close to half of eventsource-parser's round. Decoding without \`{ stream: true }\` (Node's fast
  path) costs more on this corpus, 7 % of whose bytes are above ASCII (266M against 171M per
  10 MB at 16 KB), and taking it only after an ASCII chunk changed nothing (bench corpus ±1 %;
  the typed client 15,927 → 15,876 instructions per event): dropped. The bench makes a new parser
  each round after a full GC; until this page's runs that GC also freed the parser state's
  hidden class (V8 holds it only through live objects), so every parser step was deoptimised
  ("weak objects" in \`--trace-deopt\`) and compiled again inside the timed round, on the other
  core, its delay set by the host's load: hence 1.00–1.29× and a 1 KB lead (1.38× in a 20 MB A/B
  whose harness kept a state alive) that vanished at 50 MB. One never-fed state now lives with
  the module and keeps the class (a client between two connections gains the same), and the
  LF-only loop finds \`event:\`/\`id:\` line ends without \`indexOf\`. Callgrind per 50 MB round,
  forced GC excluded (\`valgrind --tool=callgrind node --predictable --expose-gc\`, instr(2 rounds)
  − instr(1)): 1 KB 1,642M → 1,440M (eventsource-parser 1,592M: 0.98× → 1.11×), 16 KB 1,459M →
  1,292M (1,534M: 1.05× → 1.20×); eventsource-parser compiles its closures again every round
  (≈ 110M). At 1 KB, 1.2× needs Rivulet's work besides the decoder at 593M, from 706M: the
  measured limit of this design. In this page's runs: 0.92–1.21× at 16 KB (median 1.19×; run 2's
  0.92× with Rivulet's own rounds spread over 365–610 MB/s, 621–666 in run 1) and 1.05–1.08× at 1 KB.
- **The typed client ≥ 300k small events/s (issue 16).** The row now reads a replay server: a
  child process serving the emitting Rivulet server's bytes for the same N, recorded at
  start-up, checked byte for byte (SHA-256) against what that server writes, and written in
  256 KB writes for ≈ 0.1 µs of CPU per event, so the row measures the client, not its server;
  the same client reading the emitting server stays as a second figure (a reader cannot read
  faster than its server writes). Per event the client is \`JSON.parse\` plus the steps of a meta
  read once per distinct meta text, zod's validation and one iterator handing out the batch of
  each chunk (the three async-generator layers per event went earlier in issue 16: callgrind
  22,849 → 18,136 instructions per event). A Date's text as \`toISOString\` writes it is now read
  by hand (digits, ranges and month lengths checked; anything else to \`new Date\`,
  property-tested against it), which cost a third of a small event's decode, and a meta of
  Dates alone is applied by a walk of plain JSON: 17,617 → 16,116 instructions per event (fake
  \`fetch\`, 16 KB chunks, validate on, Dates checked, instr(100k) − instr(50k)); in one process,
  medians of 7, 373k → 419k events/s on a loaded host. Where the ≈ 16k instructions go: the parser
  ≈ 6.8k (4.0k of it the streaming \`TextDecoder\`), \`JSON.parse\` ≈ 6.3k, the Date ≈ 1k, zod
  ≈ 0.6k, the client's own code ≈ 0.3k. In this page's runs the row read 576–645k small events/s
  from the replay server (met), and as fast as the emitting server wrote from that one.

## Before and after "the core, untangled" (issue 9)

The change moved every event through new code (one compiled stream per stream, a writer
split from its pull and push sources, a shared keep-alive ticking twice per interval, a
request pipeline for both adapters), so the bench was run on the packages of the commit
before it and on the tree after it, one after the other on the same quiet machine
(2026-12-03, the 2-core AMD EPYC host): \`bench/baseline.sh --commit cbcc7c3\` builds
cbcc7c3's packages in a git worktree (\`npm ci\`, a forced \`turbo run build\`) and runs
today's bench code against them, then \`npm run bench -w bench -- --no-docs --out …\` runs the
tree, and \`npm run compare -w bench\` sets the two side by side (bench/README.md, "Compare
with an older commit"). Of the 134 figures both runs have, 78 were better, 45 worse; every
worse Rivulet figure but one lay within the other run's spread over rounds, and the peers
that run no Rivulet code moved by a median of +0.8 % (−22 % to +52 %) between the runs.
The one real loss, "validate off, superjson" on the small event (207k → 182k events/s,
CPU per event +11 %), came from the superjson codec's meta cache, which lived at module
level and was removed; writing the Dates meta as a string instead (3.6 % fewer
instructions per encode than cbcc7c3's cache, counted with callgrind) gave it back, in a
second paired run of the throughput rows:

| small event, events/s | cbcc7c3 | issue 9 |
| --- | ---: | ---: |
| raw node:http (control) | 370,670 | 394,209 |
| Rivulet, validate off, JSON | 294,560 | 308,411 |
| Rivulet, validate off, superjson | 239,774 | 267,447 |
| Rivulet, validate on, JSON | 315,335 | 296,938 (within spread; +7.7 % in the first pair) |
| Rivulet, validate on, superjson | 272,454 | 298,514 |

Fan-out held: 10,000 subscribers p99 172.4 → 171.6 ms (raw node 171.8 → 146.3 ms in the
same runs), RSS per connection 7.2 → 7.1 KB; with the Redis broker (the message is now
framed once per process instead of decoded, validated and encoded again per process)
p99 480.6 → 347.6 ms and CPU per delivery 11.2 → 10.4 µs at 10,000 subscribers.

## Before and after issue 16's Date writer, parser keeper and client reader

The evening's changes (the planned encoders writing Dates themselves, the parser's kept state
and line fast paths, the client's hand-read Dates) against db66c9c, the commit before them:
\`bench/baseline.sh --commit db66c9c -- --only throughput,parser,bundle\` (2026-12-03 17:04 UTC,
today's bench code on db66c9c's packages), then this page's run 1 (17:35 UTC), set side by side
with \`npm run compare -w bench -- bench/results/baseline-db66c9c-partial.json
bench/results/run-1.json\`. The host ran faster in the second (raw node 342k → 446k small
events/s; the peers' figures moved by a median of +4.6 %), so the rows are read against raw's
of the same run:

| figure | db66c9c | after |
| --- | ---: | ---: |
| raw node:http (control), small events/s · server CPU µs/event | 342,042 · 2.93 | 445,861 · 2.25 |
| small, server CPU ÷ raw's: validate on + superjson | 1.31× (3.85 µs) | 1.00× (2.26 µs) |
| small, server CPU ÷ raw's: validate on, JSON | 1.27× (3.73 µs) | 0.98× (2.20 µs) |
| small, server CPU ÷ raw's: validate off, JSON | 1.24× (3.63 µs) | 1.11× (2.50 µs) |
| small, server CPU ÷ raw's: emit (validate on, superjson) | 0.95× (2.79 µs) | 0.88× (1.98 µs) |
| small events/s ÷ raw's: validate on + superjson · emit | 0.76× · 1.04× | 0.92× · 1.05× |
| 4 KB, server CPU ÷ raw's: validate off, JSON · validate on, superjson | 1.00× · 1.23× | 0.92× · 0.99× |
| typed client reading the replay server, small · 4 KB events/s | 517,331 · 22,298 | 624,341 · 26,533 |
| parser ÷ eventsource-parser, 16 KB · 1 KB chunks | 1.10× · 0.92× | 1.21× · 1.08× |
| client bundle, minified · gzipped | 33,473 · 12,374 B | 35,291 · 13,120 B |

## Before and after issue 16's client, codec and parser changes

The packages of 4370987 (before the session's work) and of the tree after it (c113284, the
same as the three runs above), one after the other on this page's host, 2026-12-03
15:08–15:21 UTC: \`bench/baseline.sh --commit 4370987 -- --only throughput,parser,bundle\`,
then \`npm run bench -w bench -- --only throughput,parser,bundle --no-docs --out
bench/results/after.json\`, set side by side by \`npm run compare -w bench\`. The peers that
run no Rivulet code moved by a median of +8.7 % (−1.6 % to +14.1 %) between the two runs.

| figure | 4370987 | after |
| --- | ---: | ---: |
| typed client as reader, small, events/s | 198,674 | 198,896 |
| typed client as reader, 4 KB, events/s | 15,662 | 18,946 |
| parser, 16 KB chunks, MB/s (eventsource-parser) | 323.7 (378.3) | 431.2 (398.9) |
| parser, 1 KB chunks, MB/s (eventsource-parser) | 248.4 (269.7) | 319.5 (302.5) |
| bundle, minified / gzipped | 43,612 / 15,634 B | 33,473 / 12,374 B |
| server CPU µs/event, small: validate on + superjson / emit | 4.34 / 4.18 | 4.92 / 4.03 |
| server CPU µs/event, 4 KB: validate on + superjson / emit | 51.44 / 46.34 | 46.11 / 45.16 |

The small typed-client row reads as fast as its server writes in both runs (the server, not the
client, is the limit there: see the typed client bullet). The server's code did not change; its
encode (\`compileStream\`, now built on \`compileDecoder\`) counts 19,655 → 19,680 instructions per
validated superjson small event (callgrind, null sink), so the small default row's +13 % CPU,
against −3.6 % for the emit row that encodes the same way, is this host's spread.

## Before and after stream dialects (issue 11)

Dialects (a stream's own codec, end and method) touch the default path only with one id
comparison per event (the reserved end id) and a framing function chosen once per
compiled stream. Two paired \`--only throughput\` runs against 18de65e (the commit before)
swung both ways with the machine — "validate on, superjson", small event: 262k → 223k in
the first pair, 231k → 235k in the second, while better-sse alone moved −21 % and +28 % —
so the per-event cost was also counted with callgrind (instructions, repeatable whatever
the machine does; compileStream's encode + frame with an id, and the typed client reading
a body through a custom \`fetch\`): validate on + superjson 21,639 → 21,334 instructions per
small event, validate off + JSON 19,147 → 19,159, the 4 KB event ≈ 352k → 327k, the client
52.7k → 51.5k. No loss on the default path.

## Rivulet inside tRPC (issue 12)

The "Rivulet via toTRPC" rows serve the Rivulet rows' handler through \`toTRPC(t, router)\`
and tRPC's own \`createHTTPServer\`, read by the same reader: every event is still validated
by Rivulet, then tRPC frames it (\`tracked(id, { event, data })\`, its own JSON and
backpressure). They run at about tRPC's own speed (0.8–1.0× the tRPC row): the cost is
tRPC's serving path, not Rivulet's, so a tRPC team that moves a subscription to Rivulet
through \`toTRPC\` keeps its throughput and gains validation, named events, brokers and
resume; serving the same stream with \`router.node()\` instead is the big step (3.6× tRPC
at 4 KB, 7.9× on the small event, in this run).

## Line separators escaped (issue 13)

Every JSON Rivulet writes now has U+0085, U+2028 and U+2029 escaped, so that line-based
readers (Python's \`iter_lines\`) never cut an event. The check is three \`indexOf\`s over
the JSON text, which on a one-byte string search only for U+0085. Counted with callgrind:
≈ 400 instructions per small event for the check alone (a single regex test was 820),
while validate + encode + frame of the small event counts 19.4k–20.6k instructions with
or without it (the spread between runs of the same build, about ±1k, is larger than the
check): no cost the throughput rows can show.`;

/** Why a durable run costs what the durable section's tables show: what the runner and a watcher do per event. */
export const DURABLE_ANALYSIS = {
  cost:
    "Where it goes: a plain stream's writer pulls each event from the generator, validates it against its schema, encodes it " +
    "with superjson and writes it. A run's runner does the same validation and superjson encoding once per event, whoever watches, " +
    "then appends one history entry (the encoded data, with its `seq`) to the store, which makes one framed message of it that all the run's " +
    "watchers share; each watcher writes it, from inside the store's push, or from its queue while its socket is behind (as here, where the " +
    "generator outruns the reader). With one reader, durability is that entry and that push instead of the generator's pull. On Redis each event is also an `XADD` to the run's stream (one script call per run at a time, what the generator yields meanwhile batched into the next) and comes " +
    "back to the process's watchers through its blocking read (one `XREAD BLOCK` shared by the runs it watches), decoded once, before it is written: Redis round trips and " +
    "the decoding are the rest of its cost. The work per event does not grow with the watchers: the encoding is the runner's, once, and the framed " +
    "message is shared.",
  joiners:
    "A run's watchers are a broker topic's subscribers with a history in front: the runner validates and encodes each tick once, " +
    "the store pushes the one framed message to every watcher, and each response writes it from inside that push, as the fan-out section's " +
    "Rivulet row (the handler returning the subscription) writes from inside `publish`. So the figures are to be read beside the fan-out " +
    "section's 1,000-subscriber rows (the same client process, publish rate and ticks): what differs is the run's generator, the history entry, " +
    "and on Redis the `XADD` and `XREAD` hop, between the publish and the push. Set them side by side only when one run measured both: " +
    "a section measured by a run of its own says so under its heading, and the host may not have run at the same speed that day. Those from the start read the run's history first (replayed " +
    "from the store), then go live with the others; a join costs the store a replay of what it holds, and the runner nothing.",
};

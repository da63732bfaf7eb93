import { implement, type Router, type RunStore } from "@rivulet/server";
import { contract } from "./contract.js";
import type { GeneratorEnd, GeneratorLogWriter } from "./generators.js";
import { answerFor, generate, type Pace } from "./model.js";
import type { Session } from "./session.js";

export interface AnswerRouterOptions {
  /** Where runs keep their history: the memory store, or Redis to share runs between processes. */
  store: RunStore;
  /** Told when each generator starts and ends. */
  log: GeneratorLogWriter;
  /** The model's pace; left out, `modelPace()`. */
  pace?: Pace | undefined;
  /** A run nobody watches for this long, in ms, is stopped; `false`: never. */
  unwatchedMs: number | false;
  /** How long an ended answer can still be joined, in ms. */
  retentionMs: number;
  /** Events a run's history holds before its oldest tokens are folded into a snapshot. */
  historySize: number;
}

/**
 * The chat's router: `chat.ask` streams the model's answer to a prompt as a
 * durable run owned by the browser session that asked. Its `finally` tells
 * the log how the generator ended, which is how a test sees that a stop
 * reached it.
 */
export function createAnswerRouter(options: AnswerRouterOptions): Router<typeof contract, Session> {
  const { log, pace } = options;
  return implement<typeof contract, Session>(
    contract,
    {
      chat: {
        ask: {
          run: async function* ({ input, signal, runId }) {
            log.started(runId);
            let completed = false;
            try {
              const { tokens, promptTokens } = answerFor(input.prompt);
              let completionTokens = 0;
              for await (const token of generate(input.prompt, { signal, pace, maxTokens: input.maxTokens })) {
                completionTokens++;
                yield { event: "token", data: token };
              }
              yield { event: "usage", data: { promptTokens, completionTokens } };
              yield { event: "done", data: { finishReason: completionTokens < tokens.length ? "length" : "stop" } };
              completed = true;
            } finally {
              // Stopped mid-wait, the model throws the signal's reason; stopped at a `yield`, the run host calls `return()`.
              const how: GeneratorEnd = completed ? "completed" : signal.aborted ? "stopped" : "failed";
              log.ended(runId, how);
            }
          },
          // What a resume from before the history's oldest token gets instead of a HISTORY_GAP: the text up to there.
          snapshot: (previous, events) => {
            let { text, tokens } = previous?.event === "snapshot" ? previous.data : { text: "", tokens: 0 };
            for (const ev of events) {
              if (ev.event !== "token") continue;
              text += ev.data;
              tokens++;
            }
            return { event: "snapshot", data: { text, tokens } };
          },
        },
      },
    },
    {
      runs: {
        store: options.store,
        owner: (session) => session.id,
        unwatchedMs: options.unwatchedMs,
        retentionMs: options.retentionMs,
        historySize: options.historySize,
      },
    },
  );
}

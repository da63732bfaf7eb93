// The "model": a local text generator, no network and no weights. Its answer
// is a function of the prompt alone, so a test knows the whole text before it
// asks; it streams token by token at a model's pace, and stops when told.
import { seededRandom } from "@rivulet/example-kit/random";

/** Waits before token `index` is sent: the generator's pace. */
export type Pace = (index: number) => Promise<void>;

/** An answer, whole: what the generator streams for a prompt. */
export interface Answer {
  /** The full text: the tokens joined. */
  text: string;
  /** The pieces it streams, in order. */
  tokens: readonly string[];
  /** The prompt's length in the same tokens. */
  promptTokens: number;
}

/** What the answer is made of: an opening that quotes the prompt, then sentences picked by the prompt's hash. */
const SENTENCES = [
  "A stream that outlives its connection is the heart of it: the answer keeps coming while nobody listens.",
  "Every token carries an id, so a page that comes back says where it left off and gets only what follows.",
  "Reloading the page is no reason to start over; the server kept writing while the browser was away.",
  "A second tab joins the same run and reads the same words, in the same order, as they are written.",
  "Stopping is a request of its own, not a dropped connection, so it reaches the generator wherever it runs.",
  "The history is kept for a while after the end, then it is gone, and a late visitor is told so plainly.",
  "Server-Sent Events are plain HTTP: one long response, one event after another, each with its id.",
  "Backpressure matters: a slow reader must not make the server hold an unbounded queue for it.",
  "Types on both ends mean that a token is a string and a usage report has numbers, checked as they pass.",
  "Rivers do not wait for anyone to watch them, and neither does a durable run.",
  "When the process running an answer dies, its watchers hear about it instead of waiting forever.",
  "Ownership is checked on every request: an id alone lets nobody read someone else's answer.",
  "A snapshot folds the oldest tokens into the text so far, so that even a long answer resumes cheaply.",
  "Nothing here is a real model; the words are picked from a short list by a hash of your prompt.",
] as const;

/**
 * Splits text into the pieces a model would stream: each word with the space
 * before it, long words cut every five letters. Joined, they give the text back.
 */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S{1,5}/g) ?? [];
}

/**
 * The answer to `prompt`: always the same for the same prompt (trimmed), 4 to
 * 7 sentences after an opening that quotes it.
 *
 * @example
 * const { text, tokens } = answerFor("What is a durable run?");
 */
export function answerFor(prompt: string): Answer {
  const asked = prompt.trim().replace(/\s+/g, " ");
  const random = seededRandom(fnv1a(asked));
  const pool: string[] = [...SENTENCES];
  const count = 4 + Math.floor(random() * 4);
  const picked: string[] = [];
  for (let i = 0; i < count; i++) picked.push(...pool.splice(Math.floor(random() * pool.length), 1));
  const quoted = asked.length > 60 ? `${asked.slice(0, 57)}...` : asked;
  const text = [`You asked: "${quoted}".`, ...picked].join(" ");
  return { text, tokens: tokenize(text), promptTokens: tokenize(asked).length };
}

/**
 * A model's pace: 15 to 60 ms before each token, jittered.
 * @param random where the jitter comes from.
 */
export function modelPace(random: () => number = Math.random): Pace {
  return () => new Promise((resolve) => setTimeout(resolve, 15 + random() * 45));
}

export interface GenerateOptions {
  /** Aborts the generation: the generator throws the signal's reason at once, even mid-wait. */
  signal: AbortSignal;
  /**
   * Waits before each token.
   * @default modelPace()
   */
  pace?: Pace | undefined;
  /** Stops after this many tokens. */
  maxTokens?: number | undefined;
}

/**
 * Streams the answer to `prompt`, token by token, at `pace`. Ends early (and
 * throws) when `signal` aborts, without waiting for the pace.
 */
export async function* generate(prompt: string, options: GenerateOptions): AsyncGenerator<string> {
  const { signal, pace = modelPace(), maxTokens = Infinity } = options;
  const { tokens } = answerFor(prompt);
  for (const [index, token] of tokens.entries()) {
    if (index >= maxTokens) return;
    await untilAborted(pace(index), signal);
    yield token;
  }
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** FNV-1a: a 32-bit hash of the prompt, the seed of its answer. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

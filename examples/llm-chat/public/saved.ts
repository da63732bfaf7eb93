// The page's memory of its answer, in localStorage: one write per event, so a
// reload resumes after the last event it shows, and every tab of the browser
// sees which run is the current one (the `storage` event).

/** How far an answer got, as this browser last saw it. */
export interface SavedAnswer {
  runId: string;
  prompt: string;
  /** The id of the last event the text includes: where a resume starts. */
  lastEventId: string | undefined;
  text: string;
  /** Tokens the text is made of. */
  tokens: number;
  usage: { promptTokens: number; completionTokens: number } | undefined;
  state: "streaming" | "done" | "stopped" | "error";
  /** `stop` or `length` once done; the error's message once failed. */
  detail: string | undefined;
}

/** The localStorage key. */
export const STORAGE_KEY = "rivulet-llm-chat:answer";

/** The saved answer, or `undefined` when there is none (or it cannot be read). */
export function loadAnswer(value: string | null = localStorage.getItem(STORAGE_KEY)): SavedAnswer | undefined {
  if (value === null) return undefined;
  try {
    const saved = JSON.parse(value) as Partial<SavedAnswer>;
    return typeof saved.runId === "string" && typeof saved.text === "string" ? (saved as SavedAnswer) : undefined;
  } catch {
    return undefined;
  }
}

export function saveAnswer(answer: SavedAnswer): void {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(answer));
}

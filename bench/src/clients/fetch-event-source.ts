import { fetchEventSource } from "@microsoft/fetch-event-source";
import { monoMs } from "../lib/clock.js";
import type { FirstEventClient } from "./types.js";

interface DomGlobals {
  window?: unknown;
  document?: unknown;
}

/**
 * `@microsoft/fetch-event-source` is written for browsers: it calls
 * `window.setTimeout`/`window.clearTimeout` and `document.removeEventListener`
 * (the latter on every close, even with `openWhenHidden: true`). Node 20 has
 * `fetch` but neither global, so the bench lends it minimal shims while it
 * runs and takes them away after.
 */
export function fetchEventSourceClient(): FirstEventClient {
  const globals = globalThis as DomGlobals;
  const lent: (keyof DomGlobals)[] = [];
  if (!("window" in globals)) {
    globals.window = { setTimeout, clearTimeout, fetch: globalThis.fetch };
    lent.push("window");
  }
  if (!("document" in globals)) {
    globals.document = { hidden: false, addEventListener() {}, removeEventListener() {} };
    lent.push("document");
  }
  return {
    id: "fetch-event-source",
    label: "@microsoft/fetch-event-source 2",
    note: "needs `window` (setTimeout/clearTimeout) and `document` (add/removeEventListener) shims in Node 20; run with `openWhenHidden: true`.",
    firstEvent(url) {
      const startedAt = monoMs();
      const controller = new AbortController();
      return new Promise((resolve, reject) => {
        fetchEventSource(url, {
          signal: controller.signal,
          openWhenHidden: true,
          fetch: globalThis.fetch,
          onmessage(message) {
            if (message.event !== "price") return;
            const ms = monoMs() - startedAt;
            controller.abort();
            resolve(ms);
          },
          onerror(error: unknown) {
            // Thrown from onerror: no retry, the promise rejects.
            throw error instanceof Error ? error : new Error(String(error));
          },
        }).catch(reject);
      });
    },
    close() {
      for (const name of lent) delete globals[name];
    },
  };
}

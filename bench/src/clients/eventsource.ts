import { EventSource } from "eventsource";
import { monoMs } from "../lib/clock.js";
import type { FirstEventClient } from "./types.js";

/** The `eventsource` package: the WHATWG `EventSource` for Node, on `fetch`. */
export const eventsourceClient: FirstEventClient = {
  id: "eventsource",
  label: "eventsource 4 (EventSource)",
  firstEvent(url) {
    return new Promise((resolve, reject) => {
      const startedAt = monoMs();
      const source = new EventSource(url);
      source.addEventListener("price", () => {
        const ms = monoMs() - startedAt;
        source.close();
        resolve(ms);
      });
      source.onerror = (error) => {
        source.close();
        reject(new Error(`EventSource error: ${error.message ?? "unknown"}`));
      };
    });
  },
};

import { createClient } from "@rivulet/client";
import { contract } from "../contract.js";
import { monoMs } from "../lib/clock.js";
import type { FirstEventClient } from "./types.js";

/** Rivulet's typed client, with its defaults (validation on, superjson); one client, one subscription per connection. */
export function rivuletClient(baseUrl: string): FirstEventClient {
  const client = createClient(contract, { baseUrl, reconnect: false });
  return {
    id: "rivulet-client",
    label: "Rivulet client (createClient)",
    async firstEvent() {
      const startedAt = monoMs();
      for await (const event of client.stream({ n: 1, size: "small" })) {
        if (event.event === "price") return monoMs() - startedAt;
      }
      throw new Error("the stream ended without an event");
    },
  };
}

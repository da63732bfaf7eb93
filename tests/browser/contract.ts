import { defineContract, stream } from "@rivulet/shared";
import { z } from "zod";

/** What the browser tests serve and the page's typed client reads. */
export const contract = defineContract({
  /** A GET stream, for `EventSource`: who the server took the caller for, then the end. */
  whoami: stream({ events: { hello: z.object({ user: z.string() }) } }),
  /** A POST stream, for the typed client: one answer. */
  ask: stream({ method: "POST", input: z.object({ q: z.string() }), events: { answer: z.string() } }),
  /** A GET stream that stays open until the client leaves. */
  hold: stream({ events: { ready: z.number() } }),
});

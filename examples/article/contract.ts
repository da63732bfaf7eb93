import { defineContract, stream } from "@rivulet/shared";
import { z } from "zod";

/**
 * The five sentences, as `flask_app.py` and `go/main.go` hold them too: every
 * server of this example streams exactly these, in this order.
 */
export const SENTENCES = [
  "The first drop of rain lands on a dry stone.",
  "A second follows, then a hundred, and the stone turns dark.",
  "Water gathers in the cracks and starts to move downhill.",
  "By noon a thin stream is singing between the roots.",
  "By evening it has found the river, and the river the sea.",
] as const;

/**
 * The SSE article's endpoint as a contract: `GET {baseUrl}/events`, unnamed
 * events (the standard calls them `message`) whose data is the sentence itself
 * (`codec: "text"`, not JSON), and no end event: the server closing the
 * response is the normal end (`end: "close"`). The Flask server, the Go
 * server and this example's Rivulet server all speak it.
 *
 * @example
 * const client = createClient(article, { baseUrl: "http://127.0.0.1:8081" });
 * for await (const ev of client.events()) console.log(ev.data);
 */
export const article = defineContract({
  events: stream({
    events: { message: z.string() },
    codec: "text",
    end: "close",
  }),
});

export type ArticleContract = typeof article;

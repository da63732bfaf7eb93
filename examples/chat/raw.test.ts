import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChatServer, type ChatServer } from "./server.js";

interface ErrorBody {
  error: { code: string; message: string; issues?: Array<{ path: string[]; message: string }> };
}

/** Reads an event stream until `count` events arrived (comments skipped), then cancels it. */
async function readEvents(response: Response, count: number): Promise<string[][]> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  const events = (): string[][] =>
    text
      .split("\n\n")
      .slice(0, -1)
      .map((block) => block.split("\n").filter((line) => !line.startsWith(":")))
      .filter((lines) => lines.length > 0);
  while (events().length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  await reader.cancel();
  return events();
}

describe("chat, raw HTTP (what curl and EventSource see)", () => {
  let chat: ChatServer;
  beforeAll(async () => {
    chat = await createChatServer({ port: 0 });
  });
  afterAll(() => chat.close());

  const post = (path: string, body: string, contentType = "application/json"): Promise<Response> =>
    fetch(new URL(path, chat.url), { method: "POST", headers: { "content-type": contentType }, body });

  it("streams presence and messages as plain JSON with ids, after a 201 from the POST", async () => {
    const input = encodeURIComponent(JSON.stringify({ room: "raw", name: "curl" }));
    const response = await fetch(`${chat.sseUrl}/room?input=${input}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const reading = readEvents(response, 2);

    // The stream is open once its headers arrived, but the join may still be on its way.
    await expect.poll(() => chat.broker.count("raw")).toBe(1);
    const posted = await post("/api/rooms/raw/messages", JSON.stringify({ from: "  curl ", text: "hi there" }));
    expect(posted.status).toBe(201);
    const { id, at } = (await posted.json()) as { id: string; at: string };
    expect(new Date(at).toISOString()).toBe(at);

    const [presence, message] = await reading;
    expect(presence?.[0]).toBe("event: presence");
    expect(presence).toContain(`data: ${JSON.stringify({ room: "raw", count: 1 })}`);
    expect(message?.[0]).toBe("event: message");
    expect(message).toContain(`id: ${id}`);
    // Trimmed by the schema; the date is an ISO string for plain consumers.
    expect(message).toContain(`data: ${JSON.stringify({ from: "curl", text: "hi there", at })}`);
    await expect.poll(() => chat.broker.count("raw")).toBe(0);
  });

  it.each([
    ["not JSON", "{from:", "application/json", "PARSE_ERROR", undefined],
    ["not sent as JSON", '{"from":"a","text":"b"}', "text/plain", "PARSE_ERROR", undefined],
    ["without text", '{"from":"a"}', "application/json", "INVALID_INPUT", "text"],
    ["with an empty name", '{"from":" ","text":"b"}', "application/json", "INVALID_INPUT", "from"],
    ["with a number as text", '{"from":"a","text":42}', "application/json", "INVALID_INPUT", "text"],
    ["an array", "[]", "application/json", "INVALID_INPUT", undefined],
  ])("answers a body %s with a 400 JSON error", async (_, body, contentType, code, field) => {
    const response = await post("/api/rooms/lobby/messages", body, contentType);
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const { error } = (await response.json()) as ErrorBody;
    expect(error.code).toBe(code);
    if (field) expect(error.issues?.map((issue) => issue.path[0])).toContain(field);
  });

  it("answers a bad room name with a 400, a wrong method with a 405, an unknown path with a 404, a huge body with a 413", async () => {
    const badRoom = await post("/api/rooms/-nope/messages", '{"from":"a","text":"b"}');
    expect(badRoom.status).toBe(400);
    expect(((await badRoom.json()) as ErrorBody).error.issues?.[0]?.path).toEqual(["room"]);

    const get = await fetch(new URL("/api/rooms/lobby/messages", chat.url));
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect(((await get.json()) as ErrorBody).error.code).toBe("METHOD_NOT_SUPPORTED");

    const unknown = await post("/api/rooms/lobby", "{}");
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as ErrorBody).error.code).toBe("NOT_FOUND");

    const huge = await post("/api/rooms/lobby/messages", JSON.stringify({ from: "a", text: "x".repeat(20_000) }));
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as ErrorBody).error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("refuses a bad stream input with a 400 before any stream starts", async () => {
    const input = encodeURIComponent(JSON.stringify({ room: "lobby" }));
    const response = await fetch(`${chat.sseUrl}/room?input=${input}`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error.code).toBe("INVALID_INPUT");
  });

  it("serves the page and its script, and 404 elsewhere", async () => {
    const page = await fetch(chat.url);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await page.text();
    for (const id of ['id="count"', 'id="messages"', 'id="send"']) expect(html).toContain(id);
    const script = await fetch(new URL("/app.js", chat.url));
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await script.text()).toContain("new EventSource(");
    expect((await fetch(new URL("/server.ts", chat.url))).status).toBe(404);
  });
});

import { createClient, RivuletError, type InferEvent } from "@rivulet/client";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { postMessage, runChatClient } from "./client.js";
import { contract } from "./contract.js";
import { createChatServer, type ChatServer } from "./server.js";
import { watch, type Watch } from "./watch.js";

type RoomEvent = InferEvent<typeof contract.room>;

/** The presence counts seen, with repeats in a row dropped. */
const counts = (events: readonly RoomEvent[]): number[] =>
  events
    .flatMap((ev) => (ev.event === "presence" ? [ev.data.count] : []))
    .filter((count, i, all) => i === 0 || all[i - 1] !== count);

const lastCount = (events: readonly RoomEvent[]): number | undefined => counts(events).at(-1);

const texts = (events: readonly RoomEvent[]): string[] =>
  events.flatMap((ev) => (ev.event === "message" ? [ev.data.text] : []));

describe("chat, typed client, in-memory broker", () => {
  let chat: ChatServer;
  const open: Array<Watch<RoomEvent>> = [];
  const join = (room: string, name: string, lastEventId?: string): Watch<RoomEvent> => {
    const client = createClient(contract, { baseUrl: chat.sseUrl, reconnect: false });
    const member = watch(client.room({ room, name }, lastEventId === undefined ? {} : { lastEventId }));
    open.push(member);
    return member;
  };

  beforeAll(async () => {
    chat = await createChatServer({ port: 0 });
    expect(chat.brokerDescription).toMatch(/^memory/);
  });
  afterAll(async () => {
    await Promise.all(open.map((member) => member.close()));
    await chat.close();
  });

  it("delivers messages to every member in order, with Dates, and counts members up and down", async () => {
    const alice = join("kitchen", "alice");
    await alice.until("alice alone", (events) => lastCount(events) === 1);
    const bob = join("kitchen", "bob");
    await bob.until("bob sees two", (events) => lastCount(events) === 2);
    await alice.until("alice sees two", (events) => lastCount(events) === 2);

    const sent = ["first", "second", "third", "fourth"];
    const stamped: string[] = [];
    for (const [i, text] of sent.entries()) {
      stamped.push((await postMessage(chat.url, "kitchen", { from: i % 2 ? "bob" : "alice", text })).at);
    }
    for (const member of [alice, bob]) {
      await member.until("every message", (events) => texts(events).length === sent.length);
      expect(texts(member.events)).toEqual(sent);
      const messages = member.events.flatMap((ev) => (ev.event === "message" ? [ev] : []));
      expect(messages.map((ev) => ev.data.from)).toEqual(["alice", "bob", "alice", "bob"]);
      for (const { data } of messages) expect(data.at).toBeInstanceOf(Date);
      // The very instants the server stamped and answered the POSTs with, to the millisecond.
      expect(messages.map((ev) => ev.data.at.toISOString())).toEqual(stamped);
    }
    // Both saw the same events with the same IDs, from bob's join on.
    const ids = (member: Watch<RoomEvent>): string[] => member.events.map((ev) => ev.id ?? "");
    expect(ids(alice).slice(-ids(bob).length)).toEqual(ids(bob));

    await bob.close();
    await alice.until("alice alone again", (events) => lastCount(events) === 1);
    expect(counts(alice.events)).toEqual([1, 2, 1]);
    expect(await chat.broker.count("kitchen")).toBe(1);
  });

  it("keeps rooms apart", async () => {
    const here = join("here", "carol");
    const there = join("there", "dave");
    await here.until("joined", (events) => lastCount(events) === 1);
    await there.until("joined", (events) => lastCount(events) === 1);
    await postMessage(chat.url, "there", { from: "dave", text: "only there" });
    await there.until("the message", (events) => texts(events).length === 1);
    await postMessage(chat.url, "here", { from: "carol", text: "only here" });
    await here.until("the message", (events) => texts(events).length === 1);
    expect(texts(here.events)).toEqual(["only here"]);
    expect(texts(there.events)).toEqual(["only there"]);
  });

  it("resumes after Last-Event-ID with what was missed, in order", async () => {
    const erin = join("resume", "erin");
    await erin.until("joined", (events) => lastCount(events) === 1);
    const { id } = await postMessage(chat.url, "resume", { from: "erin", text: "one" });
    await postMessage(chat.url, "resume", { from: "erin", text: "two" });
    await postMessage(chat.url, "resume", { from: "erin", text: "three" });

    const back = join("resume", "frank", id);
    await back.until("the missed messages and its own join", (events) => texts(events).length === 2 && lastCount(events) === 2);
    expect(texts(back.events)).toEqual(["two", "three"]);
    // No presence event of its own up front: what it gets is the room's history after "one".
    expect(back.events[0]).toMatchObject({ event: "message", data: { text: "two" } });
  });

  it("refuses a bad room name or member name before the stream starts", async () => {
    const client = createClient(contract, { baseUrl: chat.sseUrl, reconnect: false });
    for (const input of [
      { room: "no spaces", name: "gina" },
      { room: "ok", name: "" },
    ]) {
      const reading = (async () => {
        for await (const _ of client.room(input)) throw new Error("no event expected");
      })();
      await expect(reading).rejects.toSatisfy(
        (error: unknown) => error instanceof RivuletError && error.code === "INVALID_INPUT",
      );
    }
  });

  it("postMessage turns a refusal into a RivuletError with the zod issues", async () => {
    const posting = postMessage(chat.url, "kitchen", { from: "hal", text: "   " });
    await expect(posting).rejects.toSatisfy(
      (error: unknown) =>
        error instanceof RivuletError &&
        error.code === "INVALID_INPUT" &&
        error.status === 400 &&
        error.issues?.[0]?.path[0] === "text",
    );
  });

  it("runChatClient joins, sends each line, prints the room, and leaves when the lines end", async () => {
    const watcher = join("terminal", "ivy");
    await watcher.until("joined", (events) => lastCount(events) === 1);
    const printed: string[] = [];
    async function* lines(): AsyncGenerator<string> {
      yield "hello from the terminal";
      yield "   ";
      // Leave only once the lines came back through the room, to the watcher and to jack himself.
      await watcher.until("the first line", (events) => texts(events).length === 1);
      await vi.waitFor(() => expect(printed).toContainEqual(expect.stringMatching(/ jack: hello from the terminal$/)));
      yield "bye";
      await watcher.until("the second line", (events) => texts(events).length === 2);
    }
    await runChatClient({ url: chat.url, room: "terminal", name: "jack", lines: lines(), write: (line) => printed.push(line) });

    expect(texts(watcher.events)).toEqual(["hello from the terminal", "bye"]);
    expect(printed[0]).toBe("· 2 in #terminal");
    expect(printed).toContainEqual(expect.stringMatching(/^\[\S+.*\] jack: hello from the terminal$/));
    await watcher.until("jack gone", (events) => lastCount(events) === 1);
  });
});

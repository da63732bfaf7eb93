import { RivuletError } from "@rivulet/client";
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { afterEach, describe, expect, it } from "vitest";
import { createFeedServers, settle } from "./test-utils/serve.js";
import type { UseStreamOptions } from "./types.js";
import { useStream } from "./use-stream.js";

const servers = createFeedServers();
afterEach(() => servers.closeAll());

// Rendering in a browser, with effects, StrictMode and unmounts: tests/browser/react.test.ts.
describe("useStream on the server (renderToString)", () => {
  it("renders idle, with no events, and opens nothing", async () => {
    const { client, fetches } = await servers.start();
    function Feed() {
      const { events, last, state, error } = useStream(client.feed, { room: "a" });
      return createElement("p", null, `${state} ${events.length} ${String(last)} ${String(error)}`);
    }
    expect(renderToString(createElement(Feed))).toBe("<p>idle 0 undefined undefined</p>");
    await settle();
    expect(fetches).toStrictEqual([]);
  });

  it("refuses a bad option with INVALID_OPTION, naming it", async () => {
    const { client } = await servers.start();
    const render = (options: UseStreamOptions): unknown => {
      function Feed() {
        return createElement("p", null, useStream(client.feed, { room: "a" }, options).state);
      }
      try {
        return renderToString(createElement(Feed));
      } catch (error) {
        return error;
      }
    };
    const cases: Array<[options: unknown, message: string]> = [
      [{ bufferSize: 0 }, "useStream(): bufferSize must be a whole number > 0; got 0."],
      [{ bufferSize: 1.5 }, "useStream(): bufferSize must be a whole number > 0; got 1.5."],
      [{ bufferSize: Number.POSITIVE_INFINITY }, "useStream(): bufferSize must be a whole number > 0; got Infinity."],
      [{ bufferSize: "10" }, 'useStream(): bufferSize must be a whole number > 0; got "10" (a string).'],
      [{ enabled: "yes" }, 'useStream(): enabled must be true or false; got "yes" (a string).'],
      [{ lastEventId: 7 }, "useStream(): lastEventId must be a string; got 7."],
    ];
    for (const [options, message] of cases) {
      const error = render(options as UseStreamOptions);
      expect(error).toBeInstanceOf(RivuletError);
      expect(error).toMatchObject({ code: "INVALID_OPTION", message });
    }
    expect(render({ bufferSize: 1, enabled: false, lastEventId: "" })).toBe("<p>idle</p>");
  });
});

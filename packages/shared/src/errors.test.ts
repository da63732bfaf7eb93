import { describe, expect, it } from "vitest";
import { ERROR_CODES, MAX_ERROR_TEXT, MAX_ISSUES, MAX_ISSUE_PATH, RivuletError, toIssues } from "./errors.js";
import type { RivuletErrorCode } from "./errors.js";

describe("RivuletError", () => {
  it.each<[RivuletErrorCode, number]>([
    ["PARSE_ERROR", 400],
    ["INVALID_INPUT", 400],
    ["BAD_REQUEST", 400],
    ["NOT_FOUND", 404],
    ["METHOD_NOT_SUPPORTED", 405],
    ["REQUEST_TIMEOUT", 408],
    ["PAYLOAD_TOO_LARGE", 413],
    ["UNSUPPORTED_MEDIA_TYPE", 415],
    ["RATE_LIMITED", 429],
    ["INVALID_CONTRACT", 500],
    ["INVALID_HANDLERS", 500],
    ["INVALID_OPTION", 500],
    ["INVALID_EVENT_NAME", 500],
    ["INVALID_FIELD", 500],
    ["INVALID_EVENT", 500],
    ["INTERNAL_SERVER_ERROR", 500],
    ["BAD_RESPONSE", 502],
    ["EVENT_TOO_LARGE", 502],
    ["UPSTREAM_ERROR", 502],
    ["BROKER_UNAVAILABLE", 503],
    ["NETWORK_ERROR", 503],
  ])("maps %s to HTTP %d", (code, status) => {
    const error = new RivuletError(code, "boom");
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
    expect(ERROR_CODES[code]).toBe(status);
  });

  it("has a status for every code in the table, all HTTP error statuses", () => {
    for (const code of Object.keys(ERROR_CODES) as RivuletErrorCode[]) {
      const status = new RivuletError(code, "x").status;
      expect(status).toBe(ERROR_CODES[code]);
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
    }
  });

  it("is an Error with name, message and cause", () => {
    const cause = new Error("root");
    const error = new RivuletError("NOT_FOUND", "No room lobby", { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("RivuletError");
    expect(error.message).toBe("No room lobby");
    expect(error.cause).toBe(cause);
    expect(error.stack).toContain("No room lobby");
  });

  it("has no cause property when none is given", () => {
    expect("cause" in new RivuletError("NOT_FOUND", "x")).toBe(false);
  });

  it("lets the status be overridden (client-side HTTP errors)", () => {
    const error = new RivuletError("BAD_RESPONSE", "HTTP 401", { status: 401 });
    expect(error.code).toBe("BAD_RESPONSE");
    expect(error.status).toBe(401);
  });

  it("carries a foreign server's data and Retry-After, which toJSON leaves out (they are not Rivulet's wire)", () => {
    const data = { error: { type: "rate_limit_error", message: "slow down" } };
    const error = new RivuletError("RATE_LIMITED", "HTTP 429: slow down", { data, retryAfterMs: 3_000 });
    expect(error.status).toBe(429);
    expect(error.data).toBe(data);
    expect(error.retryAfterMs).toBe(3_000);
    expect(error.toJSON()).toStrictEqual({ code: "RATE_LIMITED", message: "HTTP 429: slow down" });
    const plain = new RivuletError("NOT_FOUND", "x");
    expect(plain.data).toBeUndefined();
    expect(plain.retryAfterMs).toBeUndefined();
  });

  describe("toJSON", () => {
    it("holds code and message only, never status, cause or stack", () => {
      const error = new RivuletError("NOT_FOUND", "nope", { cause: new Error("secret"), status: 410 });
      expect(error.toJSON()).toStrictEqual({ code: "NOT_FOUND", message: "nope" });
      expect(JSON.parse(JSON.stringify(error))).toStrictEqual({ code: "NOT_FOUND", message: "nope" });
    });

    it("includes the issues when there are some, as a copy", () => {
      const issues = [{ path: ["symbol"], message: "Required", code: "invalid_type" }];
      const error = new RivuletError("INVALID_INPUT", "Invalid input", { issues });
      const json = error.toJSON();
      expect(json).toStrictEqual({ code: "INVALID_INPUT", message: "Invalid input", issues });
      expect(json.issues).not.toBe(issues);
    });
  });

  describe("from", () => {
    it("returns a RivuletError unchanged", () => {
      const error = new RivuletError("NOT_FOUND", "visible on purpose");
      expect(RivuletError.from(error)).toBe(error);
    });

    it.each<[string, unknown]>([
      ["an Error", new Error("password=hunter2")],
      ["a TypeError", new TypeError("cannot read x of undefined")],
      ["a string", "db connection string"],
      ["an object", { message: "internal detail" }],
      ["undefined", undefined],
      ["null", null],
    ])("redacts %s into INTERNAL_SERVER_ERROR, keeping it as the cause", (_what, thrown) => {
      const error = RivuletError.from(thrown);
      expect(error).toBeInstanceOf(RivuletError);
      expect(error.code).toBe("INTERNAL_SERVER_ERROR");
      expect(error.status).toBe(500);
      expect(error.message).toBe("Internal server error");
      expect(error.cause).toBe(thrown);
      expect(JSON.stringify(error)).toBe('{"code":"INTERNAL_SERVER_ERROR","message":"Internal server error"}');
    });
  });

  describe("fromJSON", () => {
    it("rebuilds an error from its JSON form", () => {
      const original = new RivuletError("INVALID_INPUT", "Invalid input", {
        issues: [{ path: ["a", 0], message: "Expected string" }],
      });
      const back = RivuletError.fromJSON(JSON.parse(JSON.stringify(original)));
      expect(back).toBeInstanceOf(RivuletError);
      expect(back.code).toBe("INVALID_INPUT");
      expect(back.status).toBe(400);
      expect(back.message).toBe("Invalid input");
      expect(back.issues).toStrictEqual([{ path: ["a", 0], message: "Expected string" }]);
    });

    it("uses the given status over the code's own", () => {
      const back = RivuletError.fromJSON({ code: "NOT_FOUND", message: "gone" }, 410);
      expect(back.code).toBe("NOT_FOUND");
      expect(back.status).toBe(410);
    });

    it.each<[string, unknown]>([
      ["an unknown code", { code: "TEAPOT", message: "short and stout" }],
      ["a non-string code", { code: 404, message: "short and stout" }],
      // Inherited properties of a plain object are not codes.
      ["the inherited key constructor", { code: "constructor", message: "short and stout" }],
      ["the inherited key toString", { code: "toString", message: "short and stout" }],
      ["the inherited key __proto__", { code: "__proto__", message: "short and stout" }],
    ])("falls back to INTERNAL_SERVER_ERROR for %s, keeping the message", (_what, json) => {
      const back = RivuletError.fromJSON(json);
      expect(back.code).toBe("INTERNAL_SERVER_ERROR");
      expect(back.status).toBe(500);
      expect(back.message).toBe("short and stout");
    });

    it.each<[string, unknown]>([
      ["null", null],
      ["a string", "oops"],
      ["an empty object", {}],
      ["an object with a non-string message", { code: "NOT_FOUND", message: 42 }],
    ])("survives %s", (_what, json) => {
      const back = RivuletError.fromJSON(json);
      expect(back).toBeInstanceOf(RivuletError);
      expect(back.message).toBe("Unknown error");
    });

    it("cuts a message over MAX_ERROR_TEXT characters, without splitting a surrogate pair", () => {
      const long = RivuletError.fromJSON({ code: "FORBIDDEN", message: "x".repeat(1_000_000) });
      expect(long.message).toBe(`${"x".repeat(MAX_ERROR_TEXT)}…`);
      const emoji = RivuletError.fromJSON({ code: "FORBIDDEN", message: `${"x".repeat(MAX_ERROR_TEXT - 1)}🎉🎉` });
      expect(emoji.message).toBe(`${"x".repeat(MAX_ERROR_TEXT - 1)}…`);
      expect(RivuletError.fromJSON({ message: "x".repeat(MAX_ERROR_TEXT) }).message).toHaveLength(MAX_ERROR_TEXT);
    });

    it.each<[string, unknown]>([
      ["a string", "[object Object]"],
      ["an object", { 0: { path: [], message: "m" } }],
      ["null", null],
    ])("drops issues that are %s", (_what, issues) => {
      expect(RivuletError.fromJSON({ code: "INVALID_INPUT", message: "bad", issues }).issues).toBeUndefined();
    });

    it("keeps the issues of the documented shape and drops the others", () => {
      const back = RivuletError.fromJSON({
        code: "INVALID_INPUT",
        message: "bad",
        issues: [
          { path: ["a", 0], message: "kept", code: "invalid_type" },
          { path: [], message: "kept, no code" },
          "not an object",
          null,
          [],
          { path: ["a"] },
          { path: ["a"], message: { toString: "function () { return 'x' }" } },
          { path: "a.b", message: "path not an array" },
          { path: [{ key: "a" }], message: "path of an object" },
          { path: [null], message: "path of null" },
          { path: [true], message: "path of a boolean" },
          { path: ["x".repeat(MAX_ERROR_TEXT + 1)], message: "path key too long" },
          { path: Array.from({ length: MAX_ISSUE_PATH + 1 }, (_, i) => i), message: "path too deep" },
          { path: [], message: "code not a string", code: 42 },
          { path: [], message: "code too long", code: "c".repeat(65) },
          { path: [], message: "x".repeat(10_000), code: "custom", extra: "dropped" },
        ],
      });
      expect(back.issues).toStrictEqual([
        { path: ["a", 0], message: "kept", code: "invalid_type" },
        { path: [], message: "kept, no code" },
        { path: [], message: `${"x".repeat(MAX_ERROR_TEXT)}…`, code: "custom" },
      ]);
    });

    it("looks at the first MAX_ISSUES issues only, of a million", () => {
      const issues = Array.from({ length: 1_000_000 }, (_, i) => ({ path: [i], message: "m" }));
      const back = RivuletError.fromJSON({ code: "INVALID_INPUT", message: "bad", issues });
      expect(back.issues).toHaveLength(MAX_ISSUES);
      expect(back.issues?.at(-1)).toStrictEqual({ path: [MAX_ISSUES - 1], message: "m" });
    });

    it("copies each issue key by key: a __proto__ key in the JSON reaches no prototype", () => {
      const json: unknown = JSON.parse(
        '{"code":"INVALID_INPUT","message":"bad","issues":[{"__proto__":{"polluted":"yes"},"path":["__proto__"],"message":"m"}]}',
      );
      const [issue] = RivuletError.fromJSON(json).issues ?? [];
      expect(issue).toStrictEqual({ path: ["__proto__"], message: "m" });
      expect(Object.getPrototypeOf(issue)).toBe(Object.prototype);
      expect(Object.keys(issue ?? {})).toStrictEqual(["path", "message"]);
      expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    });
  });
});

describe("toIssues", () => {
  it("sends what a client keeps: the first MAX_ISSUES issues, messages cut at MAX_ERROR_TEXT", () => {
    const many = Array.from({ length: 5_000 }, (_, i) => ({ path: ["items", i], message: "x".repeat(2_000), code: "too_big" }));
    const issues = toIssues(many);
    expect(issues).toHaveLength(MAX_ISSUES);
    expect(issues[0]).toEqual({ path: ["items", 0], message: `${"x".repeat(MAX_ERROR_TEXT)}…`, code: "too_big" });
    // The client reads them back unchanged.
    expect(RivuletError.fromJSON({ code: "INVALID_INPUT", message: "bad", issues }).issues).toEqual(issues);
  });
});

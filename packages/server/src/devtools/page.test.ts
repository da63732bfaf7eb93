import { createHash } from "node:crypto";
import { defineContract, stream } from "@rivulet/shared";
// The page is made by the package's build: this test reads the built package, as users do.
import { implement } from "@rivulet/server";
import { expect, it } from "vitest";
import { z } from "zod";

const router = implement(defineContract({ clock: stream({ events: { tick: z.number() } }) }), {
  clock: async function* () {},
});

it("the page is one self-contained document: its script inline and allowed by hash, nothing from another origin", async () => {
  const handler = router.fetchHandler({ prefix: "/sse", devtools: true });
  const response = await handler(new Request("http://localhost/sse/_devtools"));
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
  expect(response.headers.get("cache-control")).toBe("no-store");
  const html = await response.text();
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1] ?? "");
  expect(scripts).toHaveLength(1);
  const hash = createHash("sha256").update(scripts[0] ?? "").digest("base64");
  const csp = response.headers.get("content-security-policy") ?? "";
  expect(csp.split("; ")).toEqual(
    expect.arrayContaining(["default-src 'none'", `script-src 'sha256-${hash}'`, "connect-src 'self'", "style-src 'unsafe-inline'"]),
  );
  // Nothing loaded from anywhere: no src or href attribute, no url() or @import in the style.
  expect(html).not.toMatch(/\s(src|href)=/i);
  const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((match) => match[1] ?? "");
  expect(styles).toHaveLength(1);
  expect(styles[0]).not.toMatch(/url\(|@import/i);
  // The shared parser is bundled in (its EVENT_TOO_LARGE message), not a copy of it in the page's source.
  expect(scripts[0]).toContain("The event stream sent an event or a line of more than");
  // Served off, it is not there.
  expect((await router.fetchHandler({ prefix: "/sse", onError: () => {} })(new Request("http://localhost/sse/_devtools"))).status).toBe(404);
});

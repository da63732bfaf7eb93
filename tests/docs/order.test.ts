/**
 * docs/ reads top to bottom (issue 14): docs/README.md lists every page in
 * order, and each page ends with a footer linking the one before and the one
 * after, so a reader can go through them without the list.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const DOCS = new URL("../../docs/", import.meta.url);
const read = (page: string): string => readFileSync(new URL(page, DOCS), "utf8");

/** The numbered list of docs/README.md: `1. [Getting started](guide.md): …`. */
const pages = [...read("README.md").matchAll(/^\d+\. \[([^\]]+)\]\(([a-z0-9-]+\.md)\)/gm)].map(([, title, page]) => ({
  title: title as string,
  page: page as string,
}));

/** The footer a page in the list must end with. */
function footerOf(index: number): string {
  const before = pages[index - 1];
  const after = pages[index + 1];
  return [
    ...(before ? [`Previous: [${before.title}](${before.page})`] : []),
    ...(after ? [`Next: [${after.title}](${after.page})`] : []),
    "[All docs](README.md)",
  ].join(" · ");
}

describe("docs read top to bottom", () => {
  it("lists the issue's pages in the issue's order", () => {
    const order = ["guide", "contracts", "server", "client", "errors", "reliability", "scaling", "integrations", "deployment", "devtools", "benchmarks", "protocol", "architecture"];
    const listed = pages.map(({ page }) => page.replace(/\.md$/, "")).filter((page) => order.includes(page));
    expect(listed).toEqual(order);
  });

  it("lists every page of docs/ once, and only pages that exist", () => {
    const onDisk = readdirSync(DOCS).filter((file) => file.endsWith(".md") && file !== "README.md").sort();
    expect([...pages.map(({ page }) => page)].sort()).toEqual(onDisk);
  });

  it.each(pages.map((entry, index) => ({ ...entry, index })))("$page ends with its Previous / Next footer", ({ page, index }) => {
    const lines = read(page).trimEnd().split("\n");
    expect(lines.slice(-3)).toEqual(["---", "", footerOf(index)]);
  });
});

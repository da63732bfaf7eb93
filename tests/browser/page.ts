/**
 * The browser tests' page script, bundled by esbuild with the typed client
 * (see `page-server.ts`): a page cannot import `@rivulet/client` by name.
 */
import { createClient } from "@rivulet/client";
import { jsonCodec } from "@rivulet/shared";
import { contract } from "./contract.js";

const kit = { createClient, jsonCodec, contract };

declare global {
  interface Window {
    /** What the tests' `page.evaluate` calls use. */
    rivulet: typeof kit;
  }
}

window.rivulet = kit;

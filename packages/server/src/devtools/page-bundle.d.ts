/**
 * The devtools page, written by the package's build (`page/build.mjs`, after
 * tsc) as `dist/devtools/page-bundle.js`: the page's script bundled with the
 * shared SSE parser by esbuild and inlined into its HTML. No source of it is
 * kept, so the protocol code lives in `@rivulet/shared` alone.
 */

/** The whole page: HTML, inline CSS and one inline script. */
export declare const PAGE_HTML: string;

/** Its `Content-Security-Policy`: the inline script by its hash, requests to its own origin only. */
export declare const PAGE_CSP: string;

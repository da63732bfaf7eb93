/**
 * The SSE article's Flask and Go servers, for the tests. The fixtures live in
 * one place, `examples/article/` (`flask_app.py`, `go/main.go`), with the code
 * that starts them, so that the example runs the very servers the suite checks.
 *
 * - `startFlask` / `startGo({ pauseMs })`: a child process on 127.0.0.1, a free
 *   port; `stop()` ends that pid. Go is built first with `GOPROXY=off` and its
 *   caches in the temp dir.
 * - `foreignSuite(kind, where)`: `describe`, or `describe.skip` with a notice
 *   where `python3 -c "import flask"` or `go` fails — never under `CI`.
 */
export { startFlask, startGo, whyUnavailable, type ForeignKind, type ForeignServer } from "../../examples/article/foreign-servers.js";
export { foreignSuite } from "../../examples/article/foreign-suite.js";

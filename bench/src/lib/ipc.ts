import { fork, type ChildProcess } from "node:child_process";

/** A child's API: methods taking at most one serialisable parameter. */
type Api = { [method: string]: (params: never) => unknown };

interface Call {
  id: number;
  method: string;
  params: unknown;
}

type Reply = { id: number; result: unknown } | { id: number; error: string };

/** In a child: answers the parent's calls with `handlers`, then tells it `ready` with `info`. */
export function serveIpc<TApi extends Api>(handlers: TApi, info: unknown): void {
  process.on("message", (message: Call) => {
    const handler = handlers[message.method];
    void (async () => {
      let reply: Reply;
      try {
        if (!handler) throw new Error(`No method "${message.method}"`);
        reply = { id: message.id, result: await handler(message.params as never) };
      } catch (error) {
        reply = { id: message.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
      }
      process.send?.(reply);
    })();
  });
  // The parent's exit closes the channel: leave with it rather than linger with open sockets.
  process.on("disconnect", () => process.exit(0));
  process.send?.({ ready: info });
}

/** The parent's side of a child process that serves an {@link Api}. */
export class Child<TApi extends Api, TInfo> {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly exited: Promise<void>;

  private constructor(
    private readonly process: ChildProcess,
    readonly info: TInfo,
  ) {
    this.exited = new Promise((resolve) => process.once("exit", () => resolve()));
    process.on("message", (message: Reply) => {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if ("error" in message) waiting.reject(new Error(message.error));
      else waiting.resolve(message.result);
    });
    process.once("exit", (code, signal) => {
      for (const waiting of this.pending.values()) waiting.reject(new Error(`child exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  /** Forks `entry` (a .ts file; the tsx loader is inherited) with extra node flags, and waits for its `ready`. */
  static start<TApi extends Api, TInfo>(entry: URL, args: string[], nodeFlags: readonly string[] = []): Promise<Child<TApi, TInfo>> {
    const child = fork(entry, args, {
      execArgv: [...process.execArgv.filter((arg) => arg !== "--expose-gc"), "--expose-gc", ...nodeFlags],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`${entry.pathname} ${args.join(" ")} exited with ${code}`));
      child.once("exit", onExit);
      child.once("message", (message: { ready: TInfo }) => {
        child.off("exit", onExit);
        resolve(new Child<TApi, TInfo>(child, message.ready));
      });
    });
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  call<K extends keyof TApi & string>(method: K, ...params: Parameters<TApi[K]>): Promise<Awaited<ReturnType<TApi[K]>>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.process.send({ id, method, params: params[0] } satisfies Call);
    });
  }

  /** Ends the child: SIGKILL, so thousands of open sockets do not slow it down; waits for the exit. */
  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill("SIGKILL");
    await this.exited;
  }
}

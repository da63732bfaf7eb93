import { describe, expect, it } from "vitest";
import { TickBatcher, type Corkable } from "./tick-batcher.js";

/** A response as the batcher sees it, counting its corks. */
class FakeResponse implements Corkable {
  writableCorked = 0;
  corks = 0;
  uncorks = 0;
  cork(): void {
    this.writableCorked++;
    this.corks++;
  }
  uncork(): void {
    this.writableCorked--;
    this.uncorks++;
  }
}

const nextTick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

describe("TickBatcher", () => {
  it("lets a response's first write in a tick go out at once, corks it at the second, uncorks it on the next tick", async () => {
    const batcher = new TickBatcher();
    const res = new FakeResponse();
    let tick = batcher.beforeWrite(res, -1);
    expect(res.corks).toBe(0);
    tick = batcher.beforeWrite(res, tick);
    tick = batcher.beforeWrite(res, tick);
    expect([res.corks, res.writableCorked]).toEqual([1, 1]);
    await nextTick();
    expect([res.uncorks, res.writableCorked]).toEqual([1, 0]);
    // A new tick: its first write goes out at once again.
    batcher.beforeWrite(res, tick);
    expect(res.corks).toBe(1);
  });

  it("uncorks every response corked in a tick together, on the next one", async () => {
    const batcher = new TickBatcher();
    const responses = [new FakeResponse(), new FakeResponse(), new FakeResponse()];
    for (const res of responses) batcher.beforeWrite(res, batcher.beforeWrite(res, -1));
    expect(responses.map((res) => res.writableCorked)).toEqual([1, 1, 1]);
    await nextTick();
    expect(responses.map((res) => res.uncorks)).toEqual([1, 1, 1]);
  });

  it("belongs to its handler: another batcher's ticks do not count in it", async () => {
    const busy = new TickBatcher();
    const quiet = new TickBatcher();
    const res = new FakeResponse();
    for (let i = 0; i < 3; i++) {
      busy.beforeWrite(res, -1);
      await nextTick();
    }
    const other = new FakeResponse();
    const tick = quiet.beforeWrite(other, -1);
    expect(tick).toBe(0);
    quiet.beforeWrite(other, tick);
    expect(other.corks).toBe(1);
    await nextTick();
    expect(other.uncorks).toBe(1);
  });
});

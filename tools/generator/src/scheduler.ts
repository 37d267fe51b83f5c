import type { GeneratedEvent } from "./event.js";

const NONE: GeneratedEvent[] = [];

/**
 * Something that emits events over time: a visitor's journey, a crawler's visit, a fraud
 * burst. It works in runs (a session, a visit, a click): `open` materialises the run that
 * starts at `at`, and `close`, after its last event, moves `at` to the next run.
 */
export abstract class Actor {
  /** Time (ms) of the next event or of the start of the next run. */
  at = 0;
  /** Tie-breaker among actors due at the same millisecond: insertion order. */
  seq = 0;
  events: GeneratedEvent[] = NONE;
  position = 0;

  /** Materialises the run starting at `at` (ascending times, none past the end); false if it has none. */
  abstract open(): boolean;
  /** Sets `at` to the start of the next run and returns true, or returns false when finished. */
  abstract close(): boolean;

  /** Drops the finished run so a dormant actor holds no events. */
  release(): void {
    this.events = NONE;
    this.position = 0;
  }
}

const before = (a: Actor, b: Actor) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/** A binary min-heap of actors by (at, seq). */
export class ActorQueue {
  private readonly heap: Actor[] = [];
  private counter = 0;

  get size(): number {
    return this.heap.length;
  }

  peek(): Actor | undefined {
    return this.heap[0];
  }

  push(actor: Actor): void {
    actor.seq = this.counter++;
    const heap = this.heap;
    let i = heap.length;
    heap.push(actor);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as Actor;
      if (!before(actor, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = actor;
  }

  /** Removes the top actor. */
  pop(): Actor | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  /** The top actor's `at` moved later: restore the order. */
  requeueTop(): void {
    const top = this.heap[0];
    if (!top) return;
    top.seq = this.counter++;
    this.siftDown(0);
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    const n = heap.length;
    const item = heap[start] as Actor;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && before(heap[right] as Actor, heap[left] as Actor)) child = right;
      const c = heap[child] as Actor;
      if (!before(c, item)) break;
      heap[i] = c;
      i = child;
    }
    heap[i] = item;
  }
}

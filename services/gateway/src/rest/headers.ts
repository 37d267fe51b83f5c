import type { IncomingHttpHeaders } from "node:http";
import { trimHttpWhitespace } from "@trellis/platform";

/**
 * The request headers a REST call hands its RPC, as a read view over node's parsed headers
 * limited to the given names: a fetch `Headers` validates and copies every value it is given,
 * on every request, and most calls read two of them. A view reads what is asked for when it
 * is asked. Anything that changes it first copies the view into a real `Headers`, which it
 * then stands for.
 */
export class IncomingHeaders implements Headers {
  #copy: Headers | undefined;

  constructor(
    private readonly incoming: IncomingHttpHeaders,
    /** Lower-case names, the only ones the view shows. */
    private readonly names: readonly string[],
  ) {}

  get(name: string): string | null {
    if (this.#copy) return this.#copy.get(name);
    const key = name.toLowerCase();
    if (!this.names.includes(key)) return null;
    return headerValue(this.incoming[key]);
  }

  has(name: string): boolean {
    return this.get(name) !== null;
  }

  getSetCookie(): string[] {
    return this.#copy ? this.#copy.getSetCookie() : [];
  }

  set(name: string, value: string): void {
    this.copied().set(name, value);
  }

  append(name: string, value: string): void {
    this.copied().append(name, value);
  }

  delete(name: string): void {
    this.copied().delete(name);
  }

  forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }

  *entries(): IterableIterator<[string, string]> {
    if (this.#copy) {
      yield* this.#copy.entries();
      return;
    }
    // Sorted by name, as a Headers iterates.
    for (const name of [...this.names].sort()) {
      const value = headerValue(this.incoming[name]);
      if (value !== null) yield [name, value];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  private copied(): Headers {
    if (!this.#copy) {
      const copy = new Headers();
      for (const [key, value] of this.entries()) copy.set(key, value);
      this.#copy = copy;
    }
    return this.#copy;
  }
}

/** A header's value as a Headers reports it: repeated values joined, surrounding HTTP whitespace removed. */
function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return trimHttpWhitespace(Array.isArray(value) ? value.join(", ") : value);
}

/** What a `Headers` is made from. */
export type InProcessHeadersInit = ConstructorParameters<typeof Headers>[0];

/**
 * Request headers of a call that never leaves the process: a `Headers` over a plain map.
 * A fetch `Headers` checks every name and value character by character against the HTTP
 * grammar each time one is set — the signed context token of every hop among them — which
 * only matters for bytes that go on a wire; a transport that puts these headers on a wire
 * copies them into its own `Headers`, which checks them then. Names are case-insensitive,
 * values lose surrounding whitespace and appended values are joined with ", ", and iteration
 * is by name, as with a `Headers`.
 */
export class InProcessHeaders implements Headers {
  readonly #values = new Map<string, string>();

  constructor(init?: InProcessHeadersInit) {
    if (init === undefined) return;
    if (Array.isArray(init)) {
      for (const [name, value] of init) this.append(name as string, value as string);
    } else if (typeof (init as Partial<Iterable<unknown>>)[Symbol.iterator] === "function") {
      // A Headers, or another view like this one.
      for (const [name, value] of init as Iterable<[string, string]>) this.append(name, value);
    } else {
      for (const [name, value] of Object.entries(init)) this.append(name, String(value));
    }
  }

  get(name: string): string | null {
    return this.#values.get(name.toLowerCase()) ?? null;
  }

  has(name: string): boolean {
    return this.#values.has(name.toLowerCase());
  }

  set(name: string, value: string): void {
    this.#values.set(name.toLowerCase(), trimHttpWhitespace(String(value)));
  }

  append(name: string, value: string): void {
    const key = name.toLowerCase();
    const before = this.#values.get(key);
    const added = trimHttpWhitespace(String(value));
    this.#values.set(key, before === undefined ? added : `${before}, ${added}`);
  }

  delete(name: string): void {
    this.#values.delete(name.toLowerCase());
  }

  getSetCookie(): string[] {
    const value = this.#values.get("set-cookie");
    return value === undefined ? [] : [value];
  }

  forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }

  entries(): IterableIterator<[string, string]> {
    return [...this.#values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))[Symbol.iterator]();
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
}

function isHttpWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/** The value without the whitespace a `Headers` removes around it (the same string when there is none). */
export function trimHttpWhitespace(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isHttpWhitespace(value.charCodeAt(start))) start++;
  while (end > start && isHttpWhitespace(value.charCodeAt(end - 1))) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

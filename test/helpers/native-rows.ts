/**
 * Reads Native blocks of the types `analytics_events` uses back into row objects, in the forms
 * a JSONEachRow answer of the embedded engine gives (UInt64 as text, dates as text), so tests
 * can look at what ingest would write without an engine. The encoder's faithfulness against
 * the engine itself is the round-trip property test's (packages/store).
 */
export function readNativeRows(bytes: Uint8Array): Array<Record<string, unknown>> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder();
  let at = 0;
  const varint = () => {
    let value = 0;
    let shift = 1;
    for (;;) {
      const byte = bytes[at++] as number;
      value += (byte & 0x7f) * shift;
      if (byte < 0x80) return value;
      shift *= 128;
    }
  };
  const string = () => {
    const size = varint();
    const text = decoder.decode(bytes.subarray(at, at + size));
    at += size;
    return text;
  };
  const u64 = () => {
    const value = view.getBigUint64(at, true);
    at += 8;
    return value;
  };

  function values(type: string, rows: number, prefixRead = false): unknown[] {
    const list: unknown[] = [];
    const fixed = (width: number, read: (offset: number) => unknown) => {
      for (let i = 0; i < rows; i++) list.push(read(at + i * width));
      at += rows * width;
      return list;
    };
    if (type === "String") {
      for (let i = 0; i < rows; i++) list.push(string());
      return list;
    }
    if (type === "UInt8") return fixed(1, (o) => view.getUint8(o));
    if (type === "Bool") return fixed(1, (o) => view.getUint8(o) === 1);
    if (type === "UInt16") return fixed(2, (o) => view.getUint16(o, true));
    if (type === "UInt32") return fixed(4, (o) => view.getUint32(o, true));
    if (type === "UInt64") return fixed(8, (o) => view.getBigUint64(o, true).toString());
    if (type === "Date")
      return fixed(2, (o) => new Date(view.getUint16(o, true) * 86_400_000).toISOString().slice(0, 10));
    if (type.startsWith("DateTime64(3"))
      return fixed(8, (o) => new Date(Number(view.getBigInt64(o, true))).toISOString().replace("T", " ").slice(0, 23));
    if (type === "Decimal(18, 4)") return fixed(8, (o) => Number(view.getBigInt64(o, true)) / 10_000);
    if (type === "IPv6")
      return fixed(16, (o) => {
        const b = bytes.subarray(o, o + 16);
        if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff)
          return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
        if (b.every((x) => x === 0)) return "::";
        return Array.from({ length: 8 }, (_, g) =>
          ((b[g * 2] as number) * 256 + (b[g * 2 + 1] as number)).toString(16),
        ).join(":");
      });
    if (type === "LowCardinality(String)") {
      if (!prefixRead) u64();
      if (rows === 0) return list;
      const flags = Number(u64());
      const keys = values("String", Number(u64()));
      const count = Number(u64());
      const width = [1, 2, 4, 8][flags & 0xff] as number;
      for (let i = 0; i < count; i++) {
        const index =
          width === 1 ? view.getUint8(at) : width === 2 ? view.getUint16(at, true) : view.getUint32(at, true);
        list.push(keys[index]);
        at += width;
      }
      return list;
    }
    const arrayOf = /^Array\((.*)\)$/.exec(type);
    const mapOf = /^Map\((.*), (.*)\)$/.exec(type);
    if (arrayOf || mapOf) {
      const inner = arrayOf ? [arrayOf[1] as string] : [mapOf?.[1] as string, mapOf?.[2] as string];
      if (!prefixRead) for (const t of inner) if (t.startsWith("LowCardinality")) u64();
      const ends: number[] = [];
      for (let i = 0; i < rows; i++) ends.push(Number(u64()));
      const total = ends.at(-1) ?? 0;
      const columns = inner.map((t) => (total === 0 ? [] : values(t, total, true)));
      let start = 0;
      for (const end of ends) {
        if (arrayOf) list.push((columns[0] as unknown[]).slice(start, end));
        else {
          const entries: Record<string, unknown> = {};
          for (let i = start; i < end; i++)
            entries[(columns[0] as string[])[i] as string] = (columns[1] as unknown[])[i];
          list.push(entries);
        }
        start = end;
      }
      return list;
    }
    throw new Error(`readNativeRows does not read ${type}`);
  }

  const rows: Array<Record<string, unknown>> = [];
  while (at < bytes.length) {
    const columnCount = varint();
    const rowCount = varint();
    const block = Array.from({ length: rowCount }, () => ({}) as Record<string, unknown>);
    for (let c = 0; c < columnCount; c++) {
      const name = string();
      const type = string();
      values(type, rowCount).forEach((value, i) => {
        (block[i] as Record<string, unknown>)[name] = value;
      });
    }
    rows.push(...block);
  }
  return rows;
}

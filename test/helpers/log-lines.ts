/**
 * The keys of a JSON object's top level in the order written, repeats included: JSON.parse
 * keeps the last of two equal keys silently, so only the raw text shows a repeat.
 */
export function topLevelKeys(line: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      let end = i + 1;
      while (line[end] !== '"') end += line[end] === "\\" ? 2 : 1;
      const afterString = line.slice(end + 1).trimStart();
      if (depth === 1 && afterString.startsWith(":")) keys.push(JSON.parse(line.slice(i, end + 1)) as string);
      i = end;
    } else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
  }
  return keys;
}

/** Keys a JSON line carries more than once. */
export function repeatedKeys(line: string): string[] {
  const keys = topLevelKeys(line);
  return keys.filter((key, index) => keys.indexOf(key) !== index);
}

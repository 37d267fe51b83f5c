/** A DateTime64(3, 'UTC') literal as ClickHouse parses it in JSON input: "YYYY-MM-DD hh:mm:ss.sss". */
export function toDateTime64(value: Date | number): string {
  const date = typeof value === "number" ? new Date(value) : value;
  return date.toISOString().replace("T", " ").replace("Z", "");
}

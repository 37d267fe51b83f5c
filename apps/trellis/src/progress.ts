/** A one-line progress report on stderr: a bar on a terminal, a line every few seconds otherwise. */
export function createProgress(label: string, total: number, unit = "events") {
  const started = performance.now();
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  let done = 0;
  const render = (final: boolean) => {
    const seconds = (performance.now() - started) / 1000;
    const rate = done / Math.max(seconds, 0.001);
    const share = total > 0 ? Math.min(1, done / total) : 1;
    const bar = `${"█".repeat(Math.round(share * 24)).padEnd(24, "░")}`;
    const text = `${label} ${bar} ${(share * 100).toFixed(0).padStart(3)}% ${done.toLocaleString("en")}/${total.toLocaleString("en")} ${unit} · ${Math.round(rate).toLocaleString("en")}/s`;
    if (tty) process.stderr.write(`\r${text}${final ? "\n" : ""}`);
    else if (final || performance.now() - lastLine > 2000) {
      lastLine = performance.now();
      process.stderr.write(`${text}\n`);
    }
  };
  return {
    add(count: number) {
      done += count;
      render(false);
    },
    finish() {
      render(true);
      return { done, seconds: (performance.now() - started) / 1000 };
    },
  };
}

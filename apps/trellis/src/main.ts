import { adminCommand, describeError, UsageError, usage } from "./commands/admin.js";
import { exportCommand } from "./commands/export.js";
import { rebuildCommand } from "./commands/rebuild.js";
import { seedCommand } from "./commands/seed.js";
import { startCommand } from "./commands/start.js";

const [command, ...args] = process.argv.slice(2);

try {
  if (command === "start") await startCommand();
  else if (command === "seed") await seedCommand(args);
  else if (command === "export") await exportCommand();
  else if (command === "rebuild") await rebuildCommand(args);
  else if (!command || command === "help" || command === "--help") process.stdout.write(`${usage}\n`);
  else await adminCommand(command, args);
} catch (error) {
  process.stderr.write(`trellis: ${describeError(error)}\n`);
  if (error instanceof UsageError) process.stderr.write(`\n${usage}\n`);
  process.exit(error instanceof UsageError ? 2 : 1);
}

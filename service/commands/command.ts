// What every CLI command returns; cli.ts prints it (JSON or text) and exits.
import type { Config } from '../config.ts';

export type CommandResult = {
  json: unknown;          // the one JSON document for --json
  /** `json` already serialised as cli.ts prints it (exactly JSON.stringify(json, null, 2)), when the command has it at hand. */
  jsonText?: string;
  text: string;           // the readable report (may be a getter: made only when printed; read it once)
  exit: number;           // CONTRACT.md exit codes
  notes: string[];        // messages for stderr (warnings, unparsed examples)
};

export type CommandContext = {
  config: Config;
  args: ParsedArgs;
  env: Record<string, string | undefined>;
  /** What the caller already knows of the subject (the sidecar's current diagnosis of a script); absent: the command finds out. */
  evidence?: unknown[];
};

export type ParsedArgs = {
  command: string;
  flags: Map<string, string[]>;   // --name value (repeatable); boolean flags map to ['']
  positional: string[];
};

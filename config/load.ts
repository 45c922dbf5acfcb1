import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ClasscastError } from './foundation/errors.ts';
import type { ConfigProblem } from './problem.ts';
import { configSchema, type Config } from './schema/index.ts';
import { hashApiTokens, resolveTlsFiles } from './secrets.ts';

export type { ConfigProblem };

export class ConfigInvalidError extends ClasscastError {
  readonly problems: ConfigProblem[];

  constructor(file: string, problems: ConfigProblem[]) {
    super('CONFIG_INVALID', `${file}: ${problems.length} problem(s)\n${formatProblems(problems)}`);
    this.name = 'ConfigInvalidError';
    this.problems = problems;
  }
}

export function formatProblems(problems: ConfigProblem[]): string {
  return problems.map((p) => `  ${p.path || '(root)'}: ${p.message}`).join('\n');
}

function issuesToProblems(issues: z.core.$ZodIssue[]): ConfigProblem[] {
  return issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Validates an already-parsed object; returns the frozen config or throws ConfigInvalidError. */
export function parseConfig(
  raw: unknown,
  source = 'config',
  baseDir = process.cwd(),
  env: NodeJS.ProcessEnv = process.env,
): Readonly<Config> {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) throw new ConfigInvalidError(source, issuesToProblems(result.error.issues));
  const config = result.data;
  config.dataDir = path.resolve(baseDir, config.dataDir);
  const problems = [...hashApiTokens(config, env, baseDir), ...resolveTlsFiles(config, baseDir)];
  if (problems.length > 0) throw new ConfigInvalidError(source, problems);
  return deepFreeze(config);
}

/** Reads, parses and validates a YAML (or JSON) config file once, at start. */
export function loadConfigFile(file: string): Readonly<Config> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ClasscastError('CONFIG_NOT_FOUND', `cannot read config ${file}`, { cause: error });
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigInvalidError(
      file,
      doc.errors.map((e) => ({ path: '', message: `YAML: ${e.message.split('\n')[0]}` })),
    );
  }
  return parseConfig(doc.toJS(), file, path.dirname(path.resolve(file)));
}

import { createHash } from 'node:crypto';
import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ConfigProblem } from './problem.ts';
import type { Config } from './schema/index.ts';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Turns every API token into its SHA-256 at load time, reading `env` and `file` sources here
 * (the config loader is the only reader of process.env). The frozen config then holds hashes
 * only, so no token can leak through a config dump or a log line.
 */
export function hashApiTokens(
  config: Config,
  env: NodeJS.ProcessEnv,
  baseDir: string,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  config.api.tokens = config.api.tokens.map((entry, i) => {
    let secret: string | undefined = entry.token;
    if (entry.env !== undefined) {
      secret = env[entry.env];
      if (!secret) problems.push({ path: `api.tokens.${i}.env`, message: `environment variable ${entry.env} is not set` });
    } else if (entry.file !== undefined) {
      try {
        secret = readFileSync(path.resolve(baseDir, entry.file), 'utf8').trim();
      } catch {
        problems.push({ path: `api.tokens.${i}.file`, message: `cannot read ${entry.file}` });
      }
    }
    if (secret !== undefined && secret.length < 16) {
      problems.push({ path: `api.tokens.${i}`, message: 'a token needs at least 16 characters' });
    }
    const sha256 = entry.sha256 ?? (secret ? sha256Hex(secret) : undefined);
    return { name: entry.name, role: entry.role, sha256 };
  });
  return problems;
}

/** Makes the TLS file paths absolute and checks now, at load, that they can be read. */
export function resolveTlsFiles(config: Config, baseDir: string): ConfigProblem[] {
  const tls = config.api.tls;
  if (!tls) return [];
  const problems: ConfigProblem[] = [];
  for (const key of ['certFile', 'keyFile'] as const) {
    tls[key] = path.resolve(baseDir, tls[key]);
    try {
      accessSync(tls[key], constants.R_OK);
    } catch {
      problems.push({ path: `api.tls.${key}`, message: `cannot read ${tls[key]}` });
    }
  }
  return problems;
}

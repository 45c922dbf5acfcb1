import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface AuditEntry {
  at: string;
  who: string;
  role: string;
  action: string;
  target?: string;
  /** The request body as given (shortened), e.g. `{"layout":"side-by-side"}`. */
  detail?: string;
  result: 'ok' | 'error';
  status?: number;
  error?: string;
}

/**
 * Append-only JSON-lines log of every control action (who, what, when, result). Each entry
 * is one `appendFileSync` of one line, so a crash can at worst cut the last line, which
 * `read()` skips; it survives restarts because it is only ever appended to.
 */
export class AuditLog {
  readonly file: string;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.file = path.join(dataDir, 'audit.log');
  }

  append(entry: Omit<AuditEntry, 'at'>): AuditEntry {
    const full: AuditEntry = { at: new Date().toISOString(), ...entry };
    appendFileSync(this.file, `${JSON.stringify(full)}\n`);
    return full;
  }

  /** The last `limit` entries, newest last. */
  read(limit = 200): AuditEntry[] {
    let text = '';
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    const entries: AuditEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        entries.push(JSON.parse(line) as AuditEntry);
      } catch {
        // A line cut by a crash mid-write: skip it, keep the rest.
      }
    }
    return entries.slice(-limit);
  }
}

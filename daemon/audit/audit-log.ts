import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
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

export interface AuditLogOptions {
  /** The log is rotated to `audit.log.1` past this size; at most twice this is on disk. */
  maxBytes?: number;
  /** Refused, unauthenticated attempts recorded per minute at most; the rest are counted. */
  refusedPerMinute?: number;
  now?: () => number;
}

/** Bytes read from the end of a file per entry asked for (entries are a few hundred bytes). */
const TAIL_BYTES_PER_ENTRY = 1024;

/**
 * Append-only JSON-lines log of every control action (who, what, when, result). Each entry
 * is one `appendFileSync` of one line, so a crash can at worst cut the last line, which
 * `read()` skips; it survives restarts because it is only ever appended to.
 *
 * Bounded: past `maxBytes` the file becomes `audit.log.1` (the one before is dropped), and
 * refused attempts by strangers (no valid token) are recorded at most `refusedPerMinute` a
 * minute, with one summary line for the rest, so a flood of bad requests cannot fill the
 * disk. `read()` takes only the tail of the files, off the event loop.
 */
export class AuditLog {
  readonly file: string;
  readonly #maxBytes: number;
  readonly #refusedPerMinute: number;
  readonly #now: () => number;
  #size: number;
  #windowStart = 0;
  #refusedInWindow = 0;
  #suppressed = 0;

  constructor(dataDir: string, options: AuditLogOptions = {}) {
    mkdirSync(dataDir, { recursive: true });
    this.file = path.join(dataDir, 'audit.log');
    this.#maxBytes = options.maxBytes ?? 8 * 1024 * 1024;
    this.#refusedPerMinute = options.refusedPerMinute ?? 60;
    this.#now = options.now ?? Date.now;
    try {
      this.#size = statSync(this.file).size;
    } catch {
      this.#size = 0;
    }
  }

  append(entry: Omit<AuditEntry, 'at'>): AuditEntry | undefined {
    const now = this.#now();
    if (now - this.#windowStart >= 60_000) {
      const suppressed = this.#suppressed;
      this.#windowStart = now;
      this.#refusedInWindow = 0;
      this.#suppressed = 0;
      if (suppressed > 0) {
        this.#write({ at: new Date(now).toISOString(), who: 'unauthenticated', role: 'none', action: 'refused.summary', result: 'error', detail: `${suppressed} more refused attempts in the minute before` });
      }
    }
    if (entry.role === 'none') {
      this.#refusedInWindow += 1;
      if (this.#refusedInWindow > this.#refusedPerMinute) {
        this.#suppressed += 1;
        return undefined;
      }
    }
    const full: AuditEntry = { at: new Date(now).toISOString(), ...entry };
    this.#write(full);
    return full;
  }

  /** The last `limit` entries, newest last. */
  async read(limit = 200): Promise<AuditEntry[]> {
    const current = await tail(this.file, limit * TAIL_BYTES_PER_ENTRY);
    const entries = current.length >= limit ? current : [...(await tail(`${this.file}.1`, (limit - current.length) * TAIL_BYTES_PER_ENTRY)), ...current];
    return entries.slice(-limit);
  }

  #write(entry: AuditEntry): void {
    const line = `${JSON.stringify(entry)}\n`;
    const bytes = Buffer.byteLength(line);
    if (this.#size > 0 && this.#size + bytes > this.#maxBytes) {
      renameSync(this.file, `${this.file}.1`);
      this.#size = 0;
    }
    appendFileSync(this.file, line);
    this.#size += bytes;
  }
}

/** Entries in the last `bytes` of `file` (the first, likely cut, line dropped when not at 0). */
async function tail(file: string, bytes: number): Promise<AuditEntry[]> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return [];
  }
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - bytes);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const lines = buffer.toString('utf8').split('\n');
    if (start > 0) lines.shift();
    const entries: AuditEntry[] = [];
    for (const line of lines) {
      if (!line) continue;
      try {
        entries.push(JSON.parse(line) as AuditEntry);
      } catch {
        // A line cut by a crash mid-write: skip it, keep the rest.
      }
    }
    return entries;
  } finally {
    await handle.close();
  }
}

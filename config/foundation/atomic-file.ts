import * as nodeFs from 'node:fs';
import path from 'node:path';

/** The file calls used, injectable so tests can make a write fail half-way. */
export interface AtomicFs {
  openSync: typeof nodeFs.openSync;
  writeSync: (fd: number, data: Uint8Array) => number;
  fsyncSync: typeof nodeFs.fsyncSync;
  closeSync: typeof nodeFs.closeSync;
  renameSync: typeof nodeFs.renameSync;
  unlinkSync: typeof nodeFs.unlinkSync;
}

export const realAtomicFs: AtomicFs = {
  openSync: nodeFs.openSync,
  writeSync: (fd, data) => nodeFs.writeSync(fd, data),
  fsyncSync: nodeFs.fsyncSync,
  closeSync: nodeFs.closeSync,
  renameSync: nodeFs.renameSync,
  unlinkSync: nodeFs.unlinkSync,
};

/**
 * Replaces `file` with `text` so that a crash at any point leaves either the old or the new
 * content, never a mix: write a temp file in the same directory, fsync it, rename it over the
 * target (atomic on POSIX within one file system), then fsync the directory so the rename
 * itself survives a power cut. The schedule's state, the recordings' indexes and playlists
 * are written this way. Synchronous on purpose: they are a few kB, and a sync write cannot
 * interleave with another save or be overtaken by fake time in tests. (npm's write-file-atomic
 * fsyncs the file but not the directory, so the rename itself could be lost.)
 */
export function writeFileAtomic(file: string, text: string, fs: AtomicFs = realAtomicFs): void {
  const dir = path.dirname(file);
  nodeFs.mkdirSync(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(temp, 'w', 0o600);
    const buffer = Buffer.from(text, 'utf8');
    let written = 0;
    while (written < buffer.length) written += fs.writeSync(fd, buffer.subarray(written));
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(temp, file);
  } catch (error) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing; the original error is the one to report
      }
    }
    try {
      fs.unlinkSync(temp);
    } catch {
      // the temp file may not exist
    }
    throw error;
  }
  fsyncDir(dir);
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = nodeFs.openSync(dir, 'r');
    nodeFs.fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic there.
  } finally {
    if (fd !== undefined) nodeFs.closeSync(fd);
  }
}

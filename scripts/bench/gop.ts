import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { orphanSafe } from '../../config/foundation/process/orphan-safe.ts';
import { h264Options } from '../../pipeline/media/ffmpeg-command.ts';

/**
 * Picture per bit against the keyframe interval: the same moving source (ffmpeg's `testsrc2`,
 * deterministic; two scenes) encoded with the pipeline's own H.264 options (`h264Options`: ultrafast,
 * zerolatency, half a second of VBV) at each layer's default size and bitrate, once with the
 * keyframe intervals the pipeline had before keyframes came on request (2 s high, 0.5 s low:
 * the baseline) and once with today's (4 s both), then compared with the source frame by
 * frame (SSIM and PSNR, ffmpeg's filters). Same bits, fewer IDRs: what does the picture gain?
 */
export interface GopRow {
  /** `moving`: testsrc2, all of it moving; `still`: its first frame held, a box moving over it. */
  scene: string;
  layer: string;
  size: string;
  bitrateKbps: number;
  keyframeSeconds: number;
  /** What the encoder really spent (file size over duration). */
  actualKbps: number;
  ssim: number;
  psnrDb: number;
}

export interface GopOptions {
  seconds: number;
  fps: number;
}

const LAYERS = [
  { layer: 'high', width: 1280, height: 720, bitrateKbps: 2000, baseline: 2, candidate: 4 },
  { layer: 'low', width: 640, height: 360, bitrateKbps: 400, baseline: 0.5, candidate: 4 },
];

function ffmpeg(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    // Orphan-safe as every ffmpeg of the benches: a bench killed midway leaves none behind.
    const [command, finalArgs] = orphanSafe('ffmpeg', ['-hide_banner', '-nostdin', '-y', ...args]);
    const child = spawn(command, finalArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(stderr) : reject(new Error(`ffmpeg exited with ${code}: ${stderr.slice(-500)}`))));
  });
}

/**
 * Two scenes: everything moving (testsrc2: the worst case for long intervals, errors build up
 * with nothing to refresh them), and a still picture with a moving part (a teacher walking in
 * front of a board: what a classroom camera mostly sees).
 */
function scenes(width: number, height: number, fps: number): { scene: string; source: string }[] {
  const base = `testsrc2=s=${width}x${height}:r=${fps}`;
  const box = Math.round(width / 8);
  return [
    { scene: 'moving', source: base },
    {
      scene: 'still',
      source: `${base},trim=end_frame=1,loop=loop=-1:size=1:start=0,setpts=N/${fps}/TB[bg];color=c=yellow:s=${box}x${box}:r=${fps}[box];[bg][box]overlay=x='mod(n*${Math.round(width / 160)},W-${box})':y=H/3[out0]`,
    },
  ];
}

async function measure(dir: string, scene: string, source: string, layer: (typeof LAYERS)[number], keyframeSeconds: number, options: GopOptions): Promise<GopRow> {
  const file = path.join(dir, `${scene}-${layer.layer}-${keyframeSeconds}.mkv`);
  const gop = Math.max(1, Math.round(keyframeSeconds * options.fps));
  await ffmpeg(['-f', 'lavfi', '-i', source, '-t', String(options.seconds), ...h264Options(layer.bitrateKbps, gop, 2), file]);
  const { size } = await stat(file);
  const report = await ffmpeg(['-i', file, '-f', 'lavfi', '-i', source, '-t', String(options.seconds), '-lavfi', '[0:v]split[a][b];[1:v]split[c][d];[a][c]ssim;[b][d]psnr', '-f', 'null', '-']);
  const ssim = Number(/SSIM .*All:([\d.]+)/.exec(report)?.[1]);
  const psnr = Number(/PSNR .*average:([\d.]+|inf)/.exec(report)?.[1]);
  return {
    scene,
    layer: layer.layer,
    size: `${layer.width}x${layer.height}`,
    bitrateKbps: layer.bitrateKbps,
    keyframeSeconds,
    actualKbps: Math.round((size * 8) / 1000 / options.seconds),
    ssim: Math.round(ssim * 10_000) / 10_000,
    psnrDb: Math.round(psnr * 100) / 100,
  };
}

export async function runGop(options: GopOptions): Promise<GopRow[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'classcast-gop-'));
  try {
    const rows: GopRow[] = [];
    for (const layer of LAYERS) {
      for (const { scene, source } of scenes(layer.width, layer.height, options.fps)) {
        for (const seconds of [layer.baseline, layer.candidate]) rows.push(await measure(dir, scene, source, layer, seconds, options));
      }
    }
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function formatGop(rows: GopRow[]): string {
  const lines = [
    'picture per bit against the keyframe interval (same source, the pipeline\'s H.264 options; first row of each pair: the baseline)',
    'scene | layer | size | target kbit/s | keyframe every s | spent kbit/s | SSIM | PSNR dB',
  ];
  for (const r of rows) lines.push(`${r.scene} | ${r.layer} | ${r.size} | ${r.bitrateKbps} | ${r.keyframeSeconds} | ${r.actualKbps} | ${r.ssim} | ${r.psnrDb}`);
  return lines.join('\n');
}

/**
 * Runs in a member-classroom page before its own script (bundled by esbuild, an init script):
 * the room's "camera" is a canvas that draws the wall-clock time stamp of the simulated
 * cameras (the same module) on every frame, and its "microphone" a 1 kHz tone, so the return
 * path can be timed the way `bench glass` times the outbound one. Nothing else of the page
 * changes: it asks for its devices and sends them as it would a webcam's.
 */
import { stampBits, stampGeometry } from '../../devices/camera/sim/time-stamp.ts';

const WIDTH = 640;
const HEIGHT = 360;
const FPS = 30;
const COLUMNS = 28;

function camera(): MediaStream {
  const canvas = document.createElement('canvas');
  canvas.width = WIDTH;
  canvas.height = HEIGHT;
  const ctx = canvas.getContext('2d')!;
  const g = stampGeometry(WIDTH, HEIGHT);
  let tick = 0;
  const draw = () => {
    tick += 1;
    ctx.fillStyle = '#3a4a5c';
    ctx.fillRect(0, 0, WIDTH, HEIGHT);
    // Something that moves, so the encoder sends a picture that changes like a room's.
    ctx.fillStyle = '#d0a040';
    ctx.fillRect((tick * 6) % WIDTH, HEIGHT / 3, 80, 80);
    const bits = stampBits(Date.now());
    bits.forEach((bit, i) => {
      ctx.fillStyle = bit ? '#ebebeb' : '#101010';
      const x = g.x0 + (i % COLUMNS) * g.block;
      const y = g.y0 + Math.floor(i / COLUMNS) * g.block;
      ctx.fillRect(Math.round(x), Math.round(y), Math.ceil(g.block), Math.ceil(g.block));
    });
  };
  draw();
  setInterval(draw, 1000 / FPS);
  return canvas.captureStream(FPS);
}

function microphone(): MediaStream {
  const context = new AudioContext();
  const tone = context.createOscillator();
  tone.frequency.value = 1000;
  const gain = context.createGain();
  gain.gain.value = 0.2;
  const out = context.createMediaStreamDestination();
  tone.connect(gain).connect(out);
  tone.start();
  return out.stream;
}

navigator.mediaDevices.getUserMedia = async () => new MediaStream([...microphone().getTracks(), ...camera().getTracks()]);

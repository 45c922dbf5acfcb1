/**
 * Press-and-hold on a button: `start` on pointer down, `end` exactly once on release, cancel,
 * leaving the button, losing focus, the page going hidden, or `release()` (the connection
 * dropped). No pointer capture, on purpose: sliding a finger off the pad must stop the camera.
 */
export class HoldGesture {
  static readonly #active = new Set<HoldGesture>();
  #held = false;
  readonly #end: () => void;

  constructor(target: HTMLElement, start: () => void, end: () => void) {
    this.#end = end;
    target.addEventListener('pointerdown', (event) => {
      if (event.button !== 0 || this.#held) return;
      event.preventDefault();
      this.#held = true;
      HoldGesture.#active.add(this);
      target.classList.add('held');
      start();
    });
    const release = () => {
      target.classList.remove('held');
      this.release();
    };
    for (const type of ['pointerup', 'pointercancel', 'pointerleave', 'lostpointercapture']) target.addEventListener(type, release);
    // Touch screens fire contextmenu on a long press; it must not steal the hold.
    target.addEventListener('contextmenu', (event) => event.preventDefault());
  }

  release(): void {
    if (!this.#held) return;
    this.#held = false;
    HoldGesture.#active.delete(this);
    this.#end();
  }

  /** Ends every hold in progress (page hidden, window blurred, socket lost). */
  static releaseAll(): void {
    for (const hold of [...HoldGesture.#active]) hold.release();
  }
}

/**
 * Long press: `onLong` after `ms` held still, `onTap` for a shorter press. Storing a preset
 * uses it, so a tap never overwrites a preset by accident.
 */
export function longPress(target: HTMLElement, ms: number, onTap: () => void, onLong: () => void): void {
  let timer: number | undefined;
  let fired = false;
  let down = false;
  target.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return;
    down = true;
    fired = false;
    target.classList.add('pressing');
    timer = window.setTimeout(() => {
      fired = true;
      target.classList.remove('pressing');
      onLong();
    }, ms);
  });
  const cancel = () => {
    down = false;
    clearTimeout(timer);
    target.classList.remove('pressing');
  };
  target.addEventListener('pointerup', () => {
    const wasDown = down;
    cancel();
    if (wasDown && !fired) onTap();
  });
  for (const type of ['pointercancel', 'pointerleave']) target.addEventListener(type, cancel);
  target.addEventListener('contextmenu', (event) => event.preventDefault());
  // Keyboard users: Enter/Space is a tap; storing has its own button in the confirm bar.
  target.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      onTap();
    }
  });
}

import type { RequestData, SignalAnswers, SignalMethod } from '../../signalling/protocol.ts';

/**
 * Browser side of `/ws/sfu`: `{id, method, data}` → `{id, ok, data|error}`; pushes arrive as
 * `{notification, data}`. Methods, their data and their answers are typed by the server's own
 * protocol module (`daemon/signalling/protocol.ts`).
 */
export class SignalClient {
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: number }>();
  #nextId = 1;
  onNotification: (name: string, data: unknown) => void = () => {};
  onClose: (reason: string) => void = () => {};

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.addEventListener('message', (event) => this.#onMessage(String(event.data)));
    socket.addEventListener('close', (event) => {
      for (const pending of this.#pending.values()) {
        clearTimeout(pending.timer);
        pending.reject(new Error('connection closed'));
      }
      this.#pending.clear();
      this.onClose(`socket closed (${event.code})`);
    });
  }

  /**
   * Connects to `url`, or takes over `early`, a socket the page opened while its script was
   * still loading (see the classroom page's HTML), if it is still connecting or open.
   */
  static open(url: string, timeoutMs = 8000, early?: WebSocket): Promise<SignalClient> {
    return new Promise((resolve, reject) => {
      const usable = early && (early.readyState === WebSocket.CONNECTING || early.readyState === WebSocket.OPEN);
      const socket = usable ? early : new WebSocket(url);
      if (socket.readyState === WebSocket.OPEN) return resolve(new SignalClient(socket));
      const timer = setTimeout(() => {
        socket.close();
        reject(new Error('connect timeout'));
      }, timeoutMs);
      socket.addEventListener('open', () => {
        clearTimeout(timer);
        resolve(new SignalClient(socket));
      });
      socket.addEventListener('error', () => {
        clearTimeout(timer);
        reject(new Error('cannot connect'));
      });
    });
  }

  request<M extends SignalMethod>(method: M, data: RequestData<M> = {} as RequestData<M>, timeoutMs = 10_000): Promise<SignalAnswers[M]> {
    const id = this.#nextId++;
    return new Promise<SignalAnswers[M]>((resolve, reject) => {
      const timer = window.setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${method} timed out`));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.#socket.send(JSON.stringify({ id, method, data }));
    });
  }

  close(): void {
    this.#socket.close();
  }

  #onMessage(text: string): void {
    let frame: { id?: number; ok?: boolean; data?: unknown; error?: { code: string; message: string }; notification?: string };
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame.notification) {
      this.onNotification(frame.notification, frame.data);
      return;
    }
    const pending = frame.id !== undefined ? this.#pending.get(frame.id) : undefined;
    if (!pending) return;
    this.#pending.delete(frame.id!);
    clearTimeout(pending.timer);
    if (frame.ok) pending.resolve(frame.data);
    else pending.reject(answerError(frame.error));
  }
}

/** The error an `{ok: false}` answer stands for, its stable code on `code`. */
export function answerError(error: { code: string; message: string } | undefined): Error & { code?: string } {
  const out = new Error(error?.message ?? 'request failed') as Error & { code?: string };
  out.code = error?.code;
  return out;
}

/** An answer other than 2xx, with the daemon's stable error code. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }

  /** The route does not exist on this daemon (yet): panels show "not available". */
  get missing(): boolean {
    return this.status === 404 && this.code === 'NOT_FOUND' && this.message.startsWith('no route');
  }
}

const TIMEOUT_MS = 8000;

/**
 * The console's only way to the `/api`: bearer token on every call, a timeout on every call,
 * JSON both ways, and errors as ApiError. A 401 tells the page to show the login form.
 */
export class ApiClient {
  readonly #token: string;
  onUnauthorized: () => void = () => {};

  constructor(token: string) {
    this.#token = token;
  }

  get token(): string {
    return this.#token;
  }

  get<T>(path: string): Promise<T> {
    return this.#call<T>('GET', path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.#call<T>('POST', path, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.#call<T>('PUT', path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.#call<T>('PATCH', path, body);
  }

  /** An image the API serves (a talk-back room's preview); undefined when there is none now. */
  async image(path: string): Promise<Blob | undefined> {
    const response = await fetch(`/api${path}`, { headers: { authorization: `Bearer ${this.#token}` }, cache: 'no-store', signal: AbortSignal.timeout(TIMEOUT_MS) }).catch(() => undefined);
    if (response?.status === 401) this.onUnauthorized();
    return response?.ok ? response.blob() : undefined;
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    let response: Response;
    try {
      response = await fetch(`/api${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: controller.signal,
        cache: 'no-store',
      });
    } catch (error) {
      throw new ApiError(0, controller.signal.aborted ? 'TIMEOUT' : 'NETWORK', controller.signal.aborted ? 'no answer from the daemon' : 'daemon unreachable');
    } finally {
      clearTimeout(timer);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
      if (response.status === 401) this.onUnauthorized();
      throw new ApiError(response.status, error?.code ?? 'HTTP_ERROR', error?.message ?? `HTTP ${response.status}`);
    }
    return json as T;
  }
}

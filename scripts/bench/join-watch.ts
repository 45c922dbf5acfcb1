import type { JoinTiming } from '../../daemon/signalling/member-session.ts';
import type { MemberSignalling } from '../../daemon/signalling/member-signalling.ts';

/** ms from a moment to the box's side of the first join after it. */
export interface JoinTimes {
  /** The join's frame reached the box's signalling. */
  inMs?: number;
  /** Its answer (transport, consumers, the receivers' offer) left the box. */
  outMs?: number;
}

/**
 * The box's side of a page's join, on the page's clock: its frame arriving and its answer
 * leaving (MemberSignalling's `joined`, joins that set the picture up). Between the page's
 * "join sent" and "answer in hand", this tells the box's work from the page's wait for a core.
 */
export class JoinWatch {
  readonly #joins: JoinTiming[] = [];
  readonly #detach: () => void;

  constructor(signalling: MemberSignalling) {
    const onJoined = (join: JoinTiming) => {
      if (join.media) this.#joins.push(join);
    };
    signalling.on('joined', onJoined);
    this.#detach = () => signalling.off('joined', onJoined);
  }

  /** The first join that arrived at or after `fromMs` (epoch), in ms after `fromMs`. */
  after(fromMs: number): JoinTimes {
    const join = this.#joins.find((j) => j.receivedAt >= fromMs);
    return join ? { inMs: join.receivedAt - fromMs, outMs: join.answeredAt - fromMs } : {};
  }

  close(): void {
    this.#detach();
  }
}

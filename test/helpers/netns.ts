import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** One box of a test network: its own network namespace, one address on the test LAN. */
export interface NetBox {
  name: string;
  ns: string;
  ip: string;
  /** The box's end of its veth pair (inside `ns`): where its link is shaped. */
  device: string;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * A LAN of network namespaces for tests: a bridge in the test's own namespace (which takes
 * the LAN's first address, where the browsers run) and one namespace per box joined to it by
 * a veth pair. Names carry a random suffix so runs never meet; `close()` removes it all.
 * Needs root (CAP_NET_ADMIN), as the project's tests and setup run.
 */
export class TestLan {
  readonly boxes = new Map<string, NetBox>();
  readonly hostIp: string;
  readonly #suffix = randomBytes(3).toString('hex');
  readonly #bridge: string;
  readonly #prefix: string;

  constructor() {
    const routes = execFileSync('ip', ['-4', 'route'], { encoding: 'utf8' });
    let prefix = '';
    do prefix = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}`;
    while (routes.includes(`${prefix}.`));
    this.#prefix = prefix;
    this.#bridge = `ccbr${this.#suffix}`;
    this.hostIp = `${prefix}.1`;
    ip('link', 'add', 'name', this.#bridge, 'type', 'bridge');
    ip('addr', 'add', `${this.hostIp}/24`, 'dev', this.#bridge);
    ip('link', 'set', this.#bridge, 'up');
  }

  add(name: string): NetBox {
    const index = this.boxes.size + 1;
    const ns = `cc-${name}-${this.#suffix}`;
    const hostEnd = `cc${index}h${this.#suffix}`;
    const device = `cc${index}n${this.#suffix}`;
    const box = { name, ns, ip: `${this.#prefix}.${10 + index}`, device };
    ip('netns', 'add', ns);
    this.boxes.set(name, box);
    ip('link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', device);
    ip('link', 'set', hostEnd, 'master', this.#bridge);
    ip('link', 'set', hostEnd, 'up');
    ip('link', 'set', device, 'netns', ns);
    ip('-n', ns, 'addr', 'add', `${box.ip}/24`, 'dev', device);
    ip('-n', ns, 'link', 'set', device, 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    return box;
  }

  /** Shapes what a box sends (its WAN uplink) with a token bucket filter: `rate` like "20mbit". */
  shape(name: string, rate: string, burst = '64kb', latency = '100ms'): void {
    const box = this.#box(name);
    execFileSync('ip', ['netns', 'exec', box.ns, 'tc', 'qdisc', 'add', 'dev', box.device, 'root', 'tbf', 'rate', rate, 'burst', burst, 'latency', latency]);
  }

  /** The qdisc statistics of a box's uplink (`tc -s qdisc`), to show the shaper was in the path. */
  shaperStats(name: string): string {
    const box = this.#box(name);
    return execFileSync('ip', ['netns', 'exec', box.ns, 'tc', '-s', 'qdisc', 'show', 'dev', box.device], { encoding: 'utf8' });
  }

  /** Runs `command` inside a box's namespace (`ip netns exec` execs it: the pid is the command's). */
  spawn(name: string, command: string, args: string[], options: { cwd?: string } = {}): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.#box(name).ns, command, ...args], { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  close(): void {
    for (const box of this.boxes.values()) {
      try {
        ip('netns', 'del', box.ns);
      } catch {
        // already gone
      }
    }
    try {
      ip('link', 'del', this.#bridge);
    } catch {
      // already gone
    }
  }

  #box(name: string): NetBox {
    const box = this.boxes.get(name);
    if (!box) throw new Error(`no box ${name}`);
    return box;
  }
}

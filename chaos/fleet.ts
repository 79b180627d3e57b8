import { type Exit, type FlaglineProcess, freePort, spawnFlagline } from '../packages/server/test/helpers/processes';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export type Role = 'serve' | 'worker';

/** One slot of the fleet: an API instance on a fixed port, or a worker; its process changes when it is restarted. */
export interface Member {
  readonly name: string;
  readonly role: Role;
  /** For serve: the fixed URL (the port survives restarts, so clients keep one address per instance). */
  readonly url: string | undefined;
  process: FlaglineProcess;
  /** Exits the harness did not cause (a crash): should stay empty. */
  readonly crashes: Array<Exit & { stderr: string }>;
  kills: number;
  restarts: number;
}

/**
 * The processes of a Flagline deployment on one database: API instances (`flagline serve`) and workers
 * (`flagline worker`). With `supervise`, a process that dies is started again (as systemd or Kubernetes would).
 */
export class Fleet {
  readonly members: Member[] = [];
  private supervising = false;
  private stopping = false;
  private readonly killedByUs = new WeakSet<FlaglineProcess>();

  constructor(
    private readonly env: Record<string, string>,
    private readonly restartDelayMs = 300,
  ) {}

  async addServe(name: string, env: Record<string, string> = {}): Promise<Member> {
    const port = await freePort();
    const extra = { SCHEDULER_ENABLED: 'false', ...env, PORT: String(port), HOST: '127.0.0.1' };
    const member = this.add(name, 'serve', `http://127.0.0.1:${port}`, extra);
    await this.waitHealthy(member);
    return member;
  }

  async addWorker(name: string, env: Record<string, string> = {}): Promise<Member> {
    const member = this.add(name, 'worker', undefined, { LOG_LEVEL: 'info', ...env });
    await this.waitHealthy(member);
    return member;
  }

  private add(name: string, role: Role, url: string | undefined, env: Record<string, string>): Member {
    const spawnIt = () => spawnFlagline([role], { ...this.env, ...env });
    const member: Member = { name, role, url, process: spawnIt(), crashes: [], kills: 0, restarts: 0 };
    const follow = (process: FlaglineProcess) => {
      void process.exited.then(async (exit) => {
        if (this.stopping) return;
        if (!this.killedByUs.has(process)) member.crashes.push({ ...exit, stderr: process.stderr().slice(-4_000) });
        if (!this.supervising) return;
        await sleep(this.restartDelayMs);
        if (this.stopping) return;
        member.process = spawnIt();
        member.restarts++;
        follow(member.process);
      });
    };
    follow(member.process);
    this.members.push(member);
    return member;
  }

  /** serve: /readyz answers 200; worker: it has logged that it runs. Under supervision, a restart is waited for. */
  async waitHealthy(member: Member, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const process = member.process;
      if (process.hasExited() && !this.supervising) {
        throw new Error(`${member.name} exited before it was ready:\n${process.stderr().slice(-2_000)}`);
      }
      if (!process.hasExited() && (await this.isReady(member, process))) return;
      if (Date.now() > deadline) throw new Error(`${member.name} was not ready within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  private async isReady(member: Member, process: FlaglineProcess): Promise<boolean> {
    if (!member.url) return process.stdout().includes('Flagline worker running');
    try {
      return (await fetch(`${member.url}/readyz`, { signal: AbortSignal.timeout(2_000) })).status === 200;
    } catch {
      return false;
    }
  }

  async waitAllHealthy(timeoutMs = 120_000): Promise<void> {
    await Promise.all(this.members.map((member) => this.waitHealthy(member, timeoutMs)));
  }

  supervise(on: boolean): void {
    this.supervising = on;
  }

  /** SIGKILL: no shutdown hooks, connections dropped mid-transaction. */
  kill(member: Member): boolean {
    if (member.process.hasExited()) return false;
    this.killedByUs.add(member.process);
    member.kills++;
    member.process.child.kill('SIGKILL');
    return true;
  }

  /** SIGTERM, as an orchestrator stops a process: resolves with its exit and how long it took (SIGKILL after timeoutMs). */
  async terminate(member: Member, timeoutMs = 30_000): Promise<Exit & { ms: number }> {
    this.killedByUs.add(member.process);
    const started = performance.now();
    const exit = await member.process.stop('SIGTERM', timeoutMs);
    return { ...exit, ms: Math.round(performance.now() - started) };
  }

  servers(): Member[] {
    return this.members.filter((member) => member.role === 'serve');
  }

  crashes(): Array<{ name: string } & Exit & { stderr: string }> {
    return this.members.flatMap((member) => member.crashes.map((crash) => ({ name: member.name, ...crash })));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.members.map((member) => member.process.stop('SIGTERM', 10_000)));
  }
}

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { log } from '../log.js';
import { withDeadline } from '../utils/deadline.js';
import { waitForExit } from '../utils/process.js';

const SHELL = '/bin/sh';
/** A shell with nothing left to kill exits at once on EOF; longer means it is stuck. */
const CLOSE_TIMEOUT_MS = 5000;

/**
 * How long jobs of a dead worker get to end on their own before their groups
 * are killed: a healthy job sees its IPC channel close and runs its shutdown
 * (callbacks included); a blocked one never will. A pgid freed and handed
 * out again within these seconds is the one thing this could kill by
 * mistake, which would take the kernel cycling through every pid meanwhile.
 */
const GRACE_S = 3;

/**
 * Reads `+<pgid>` / `-<pgid>` lines; at EOF (the worker closed the pipe or
 * died) waits GRACE_S, then SIGKILLs every group still listed. Only
 * builtins while reading, so it forks nothing until the worker is gone. It ignores the terminal's and the service manager's soft signals:
 * Ctrl-C reaches the worker's whole group, and the worker then drains its
 * jobs, which is exactly when the reaper must stay.
 */
const SCRIPT = `trap '' INT TERM HUP
groups=' '
while IFS= read -r line; do
  id=\${line#?}
  case $id in ''|*[!0-9]*) continue ;; esac
  case $line in
    +*) groups="$groups$id " ;;
    -*) case $groups in *" $id "*) groups="\${groups% $id *} \${groups#* $id }" ;; esac ;;
  esac
done
[ "$groups" = ' ' ] && exit 0
sleep ${GRACE_S}
for id in $groups; do kill -9 -"$id" 2>/dev/null; done
`;

/**
 * The guarantee that no job process outlives its worker, even a SIGKILLed
 * worker and a job whose event loop is blocked (it never sees its IPC
 * channel close). One small shell per pool, not a thread per job process:
 * its stdin is a pipe from the worker, which the kernel closes however the
 * worker dies; the shell then kills every job process group still open.
 * About 1 MB for the whole pool, where a watchdog thread in each job process
 * cost about 8 MB each.
 *
 * A group is listed when its leader is forked and unlisted once the pool has
 * SIGKILLed it after its leader exited, so a pid the kernel hands out again
 * is never killed by mistake.
 */
export class Reaper {
  readonly #groups = new Set<number>();
  #child: ChildProcess | undefined;
  #closed = false;
  #warned = false;

  /** A reaper, or none (with a debug line) where there is no POSIX shell (Windows). */
  static create(): Reaper | undefined {
    if (process.platform === 'win32' || !existsSync(SHELL)) {
      log().debug(`no ${SHELL}: job processes of a worker that dies abruptly are not reaped`);
      return undefined;
    }
    return new Reaper();
  }

  private constructor() {
    this.#start();
  }

  /** A job process group to kill should the worker die. */
  add(pgid: number): void {
    if (this.#closed) return;
    this.#groups.add(pgid);
    // One that died (killed from outside) is replaced, told of every open group.
    if (!this.#child) this.#start();
    else this.#write(`+${pgid}\n`);
  }

  /** The group has been killed and its leader reaped: its pgid may now be reused. */
  remove(pgid: number): void {
    if (!this.#groups.delete(pgid)) return;
    this.#write(`-${pgid}\n`);
  }

  /** Ends the reaper (call once every group is removed) and waits for its exit. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const child = this.#child;
    if (!child) return;
    if (this.#groups.size > 0) {
      log().warn({ pgids: [...this.#groups] }, 'closing the reaper kills groups still open');
    }
    const exited = waitForExit(child);
    child.stdin?.end();
    try {
      await withDeadline(exited, CLOSE_TIMEOUT_MS, 'reaper exit');
    } catch {
      log().error({ reaperPid: child.pid }, `reaper did not exit within ${CLOSE_TIMEOUT_MS} ms`);
      child.kill('SIGKILL');
    }
  }

  #start(): void {
    const child = spawn(SHELL, ['-c', SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'] });
    this.#child = child;
    // Neither the shell nor its pipe may keep a worker alive that is otherwise done.
    child.unref();
    (child.stdin as { unref?: () => void } | null)?.unref?.();
    // EPIPE once the shell is gone: its 'exit' says so.
    child.stdin?.on('error', () => {});
    child.on('error', (error) => this.#lost(child, error.message));
    child.on('exit', (code, signal) => this.#lost(child, `exit code ${code}, signal ${signal}`));
    if (child.pid === undefined) return; // the 'error' event follows
    log().debug({ reaperPid: child.pid }, 'job process reaper started');
    for (const pgid of this.#groups) this.#write(`+${pgid}\n`);
  }

  #lost(child: ChildProcess, why: string): void {
    if (this.#child !== child) return;
    this.#child = undefined;
    if (this.#closed || this.#warned) return;
    // Once: a shell that cannot run would otherwise warn at every job.
    this.#warned = true;
    log().warn(
      { reaperPid: child.pid, why },
      'the job process reaper ended early; restarting it at the next job process',
    );
  }

  #write(line: string): void {
    const stdin = this.#child?.stdin;
    if (stdin && !stdin.destroyed) stdin.write(line);
  }
}

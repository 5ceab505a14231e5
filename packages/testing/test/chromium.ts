import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** What a test needs to run a browser, or why it can't. */
export type ChromiumLookup = { path: string; installed?: { seconds: number } } | { skip: string };

const NAMES = ['chromium', 'chromium-browser', 'google-chrome'];

/**
 * Debian's launcher script runs the real binary as a child (to clean up
 * profiles); the binary itself is one process less to reap.
 */
const DEBIAN_BINARY = '/usr/lib/chromium/chromium';

const INSTALL_HINT =
  'install Chromium to run it: `apt-get install chromium` on Debian/Ubuntu ' +
  '(or put chromium, chromium-browser or google-chrome on PATH)';

/**
 * Finds Chromium on PATH; as root with apt-get, installs Debian's `chromium`
 * package when it is missing. Otherwise says what to install.
 */
export async function findOrInstallChromium(installDeadlineMs: number): Promise<ChromiumLookup> {
  const found = findChromium();
  if (found) return { path: found };
  const apt = onPath('apt-get');
  if (process.getuid?.() !== 0 || !apt) {
    return {
      skip: `no Chromium found and cannot install it here (needs root and apt-get): ${INSTALL_HINT}`,
    };
  }
  const started = performance.now();
  // Another apt run (unattended upgrades, a neighbour's install) holds the lock for a while: wait for it.
  const lock = ['-o', `DPkg::Lock::Timeout=${Math.round(installDeadlineMs / 4000)}`];
  const install = [...lock, 'install', '-y', '--no-install-recommends', 'chromium'];
  // A fresh machine may have no package lists yet: update once, then try again.
  let failure = await run(apt, install, installDeadlineMs);
  if (failure) {
    const updated = await run(apt, [...lock, 'update'], installDeadlineMs);
    failure = updated ?? (await run(apt, install, installDeadlineMs));
  }
  const path = findChromium();
  if (failure || !path) {
    return {
      skip: `installing Debian's chromium failed (${failure ?? 'not on PATH after install'}): ${INSTALL_HINT}`,
    };
  }
  return { path, installed: { seconds: (performance.now() - started) / 1000 } };
}

function findChromium(): string | undefined {
  for (const name of NAMES) {
    const path = onPath(name);
    if (!path) continue;
    return name === 'chromium' && existsSync(DEBIAN_BINARY) ? DEBIAN_BINARY : path;
  }
  return undefined;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

/** Runs a command to its end; resolves with why it failed, or undefined. */
function run(command: string, args: string[], deadlineMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve(error.message);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(undefined);
      const why = signal ? `killed by ${signal} after ${deadlineMs} ms` : `exit code ${code}`;
      resolve(`${command} ${args.join(' ')}: ${why}: ${stderr.trim()}`);
    });
  });
}

/** Kills a detached process's whole group (the browser's renderers, GPU and utility processes). */
export function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

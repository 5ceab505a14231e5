import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';

interface Sample {
  /** CPU time used, in microseconds (summed over all CPUs). */
  busyUs: number;
  /** Wall-clock time, in microseconds. */
  wallUs: number;
}

/**
 * CPU limit and usage of the cgroup (v2) this process runs in, if any: inside a
 * container the machine's CPU count says nothing about what we may use.
 */
function readCgroup(): { cpus: number; usageUs: () => number } | undefined {
  try {
    const [quota, period] = readFileSync('/sys/fs/cgroup/cpu.max', 'utf8').trim().split(/\s+/);
    const limit = quota === 'max' ? availableParallelism() : Number(quota) / Number(period);
    const usageUs = () => {
      const stat = readFileSync('/sys/fs/cgroup/cpu.stat', 'utf8');
      return Number(/usage_usec (\d+)/.exec(stat)?.[1] ?? Number.NaN);
    };
    if (!Number.isFinite(usageUs()) || !(limit > 0)) return undefined;
    return { cpus: limit, usageUs };
  } catch {
    return undefined;
  }
}

function machineSample(): Sample {
  let busyMs = 0;
  for (const cpu of cpus()) {
    const { user, nice, sys, irq } = cpu.times;
    busyMs += user + nice + sys + irq;
  }
  return { busyUs: busyMs * 1000, wallUs: performance.now() * 1000 };
}

/** Windows shorter than this say more about a burst than about the load. */
const MIN_WINDOW_US = 1_000_000;

/**
 * A load function for `WorkerOptions.loadFnc`: the share of the available CPU
 * used since the previous reading, 0 to 1. Reads the cgroup when there is one,
 * the machine's CPU times otherwise. A call less than a second after the last
 * reading returns that reading again (0 before the first full second).
 */
export function createCpuLoadFnc(): () => number {
  const cgroup = readCgroup();
  const cpuCount = cgroup?.cpus ?? cpus().length;
  const sample = (): Sample =>
    cgroup ? { busyUs: cgroup.usageUs(), wallUs: performance.now() * 1000 } : machineSample();
  let previous = sample();
  let last = 0;
  return () => {
    const current = sample();
    const wall = current.wallUs - previous.wallUs;
    if (wall < MIN_WINDOW_US) return last;
    const busy = current.busyUs - previous.busyUs;
    previous = current;
    last = Math.min(1, Math.max(0, busy / (wall * cpuCount)));
    return last;
  };
}

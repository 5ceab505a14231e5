import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APIConnectionError, APIStatusError, APITimeoutError, plugin } from '@agents/core';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileServer } from '../src/index.js';

const { downloadFile, FileTooLargeError } = plugin;

const MODEL = randomBytes(256 * 1024);
const PATH = '/models/model.onnx';

let server: FileServer;
let cacheDir: string;

beforeEach(async () => {
  server = await FileServer.start({ files: { [PATH]: MODEL } });
  cacheDir = await mkdtemp(join(tmpdir(), 'agents-download-'));
});

afterEach(async () => {
  await server.close();
  await rm(cacheDir, { recursive: true, force: true });
});

/** Every file under the cache directory, relative, so leftovers are visible. */
async function filesInCache(): Promise<string[]> {
  const entries = await readdir(cacheDir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(cacheDir.length + 1))
    .sort();
}

function options(overrides: Partial<plugin.DownloadFileOptions> = {}): plugin.DownloadFileOptions {
  return {
    url: server.urlOf(PATH),
    dest: 'silero/model.onnx',
    sha256: server.sha256Of(PATH),
    cacheDir,
    onProgress: () => {},
    connectOptions: { maxRetry: 2, retryIntervalMs: 5, timeoutMs: 5000 },
    ...overrides,
  };
}

describe('downloadFile', () => {
  it('downloads, verifies and places the file, reporting progress', async () => {
    const progress: plugin.DownloadProgress[] = [];
    const path = await plugin.downloadFile(options({ onProgress: (p) => progress.push({ ...p }) }));

    expect(path).toBe(join(cacheDir, 'silero/model.onnx'));
    expect(Buffer.compare(await readFile(path), MODEL)).toBe(0);
    expect(await filesInCache()).toEqual(['silero/model.onnx']);
    expect(progress.at(-1)).toMatchObject({ done: true, receivedBytes: MODEL.length });
    expect(progress.some((p) => !p.done && p.totalBytes === MODEL.length)).toBe(true);
    const received = progress.map((p) => p.receivedBytes);
    expect(received).toEqual([...received].sort((a, b) => a - b));
  });

  it('makes no request when the file is already present and verified', async () => {
    await plugin.downloadFile(options());
    const again = await plugin.downloadFile(options());
    expect(again).toBe(join(cacheDir, 'silero/model.onnx'));
    expect(server.requestCount(PATH)).toBe(1);
  });

  it('replaces a present file whose hash is wrong', async () => {
    await mkdir(join(cacheDir, 'silero'), { recursive: true });
    await writeFile(join(cacheDir, 'silero/model.onnx'), 'truncated');
    const path = await plugin.downloadFile(options());
    expect(Buffer.compare(await readFile(path), MODEL)).toBe(0);
    expect(server.requestCount(PATH)).toBe(1);
  });

  it('fails on a hash mismatch without retrying and leaves no file behind', async () => {
    const wrong = 'ab'.repeat(32);
    const error = await plugin.downloadFile(options({ sha256: wrong })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(plugin.FileIntegrityError);
    expect((error as plugin.FileIntegrityError).message).toMatch(/sha256 .* expected abab/);
    expect((error as plugin.FileIntegrityError).actual).toBe(server.sha256Of(PATH));
    expect(server.requestCount(PATH)).toBe(1);
    expect(await filesInCache()).toEqual([]);
  });

  it('fails on 404 at once with a status error naming the URL', async () => {
    const url = server.urlOf('/missing.onnx');
    const error = await plugin.downloadFile(options({ url })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIStatusError);
    expect(error).toMatchObject({ status: 404, retryable: false });
    expect((error as Error).message).toContain(`${url} failed: HTTP 404`);
    expect(server.requestCount('/missing.onnx')).toBe(1);
    expect(await filesInCache()).toEqual([]);
  });

  it('retries a server error and then succeeds', async () => {
    server.injectFault(PATH, { kind: 'status', status: 503, retryAfter: '0' }, 1);
    const path = await plugin.downloadFile(options());
    expect(Buffer.compare(await readFile(path), MODEL)).toBe(0);
    expect(server.requests.map((r) => r.status)).toEqual([503, 200]);
  });

  it('retries a connection cut mid-body and then succeeds', async () => {
    server.injectFault(PATH, { kind: 'cut', afterBytes: 1000 }, 1);
    const path = await plugin.downloadFile(options());
    expect(Buffer.compare(await readFile(path), MODEL)).toBe(0);
    expect(server.requestCount(PATH)).toBe(2);
    expect(await filesInCache()).toEqual(['silero/model.onnx']);
  });

  it('gives up after maxRetry cuts with a connection error and no file', async () => {
    server.injectFault(PATH, { kind: 'cut', afterBytes: 1000 });
    const error = await plugin.downloadFile(options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIConnectionError);
    expect((error as Error).message).toContain(server.urlOf(PATH));
    expect(server.requestCount(PATH)).toBe(3);
    expect(await filesInCache()).toEqual([]);
  });

  it('counts a stalled transfer as a timeout', async () => {
    server.injectFault(PATH, { kind: 'stall', afterBytes: 10 });
    const error = await plugin
      .downloadFile(options({ connectOptions: { maxRetry: 0, timeoutMs: 200 } }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APITimeoutError);
    expect((error as Error).message).toMatch(/stalled: no data for 200 ms/);
    expect(await filesInCache()).toEqual([]);
  });

  it('stops a slow download when aborted and cleans up', async () => {
    server.injectFault(PATH, { kind: 'slow', chunkBytes: 4096, intervalMs: 20 });
    const controller = new AbortController();
    const reason = new Error('user cancelled');
    const error = await plugin
      .downloadFile(
        options({
          signal: controller.signal,
          onProgress: (p) => {
            if (p.receivedBytes >= 8192) controller.abort(reason);
          },
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toBe(reason);
    expect(server.requestCount(PATH)).toBe(1);
    expect(server.requests[0]!.bytesSent).toBeLessThan(MODEL.length);
    expect(await filesInCache()).toEqual([]);
  });

  it('lets concurrent downloads of one file finish without corrupting it', async () => {
    server.injectFault(PATH, { kind: 'slow', chunkBytes: 32 * 1024, intervalMs: 5 });
    const paths = await Promise.all(
      Array.from({ length: 5 }, () => plugin.downloadFile(options())),
    );
    expect(new Set(paths).size).toBe(1);
    expect(Buffer.compare(await readFile(paths[0]!), MODEL)).toBe(0);
    expect(server.requestCount(PATH)).toBe(5);
    expect(await filesInCache()).toEqual(['silero/model.onnx']);
  });

  it('refuses destinations outside the cache directory, symbolic links included', async () => {
    for (const dest of ['../escape.onnx', '/tmp/escape.onnx', '.', 'a/../../escape.onnx']) {
      await expect(plugin.downloadFile(options({ dest })), dest).rejects.toThrow(
        /outside the cache/,
      );
    }
    const outside = await mkdtemp(join(tmpdir(), 'agents-outside-'));
    try {
      await symlink(outside, join(cacheDir, 'link'));
      await expect(plugin.downloadFile(options({ dest: 'link/model.onnx' }))).rejects.toThrow(
        /outside the cache/,
      );
      expect(await readdir(outside)).toEqual([]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
    expect(server.requestCount(PATH)).toBe(0);
  });

  it('checks a symbolic link before creating folders, so none appear where it points', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'agents-outside-'));
    try {
      await symlink(outside, join(cacheDir, 'link'));
      await symlink(join(outside, 'missing'), join(cacheDir, 'dangling'));
      for (const dest of ['link/a/b/c/model.onnx', 'dangling/a/model.onnx']) {
        await expect(downloadFile(options({ dest })), dest).rejects.toThrow(/outside the cache/);
      }
      expect(await readdir(outside)).toEqual([]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
    expect(server.requestCount(PATH)).toBe(0);
  });

  it('refuses a file whose Content-Length passes maxBytes, without retrying', async () => {
    const error = await downloadFile(options({ maxBytes: MODEL.length - 1 })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FileTooLargeError);
    expect(error).toMatchObject({ maxBytes: MODEL.length - 1, bytes: MODEL.length });
    expect((error as Error).message).toContain(`announced ${MODEL.length} bytes`);
    expect(server.requestCount(PATH)).toBe(1);
    expect(await filesInCache()).toEqual([]);
    const exact = await downloadFile(options({ maxBytes: MODEL.length }));
    expect(Buffer.compare(await readFile(exact), MODEL)).toBe(0);
  });

  it('stops a body without Content-Length as soon as it passes maxBytes', async () => {
    // A server that would stream 256 MB, chunked, unless the client goes away.
    const chunk = randomBytes(64 * 1024);
    let sent = 0;
    const endless = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const pump = () => {
        while (sent < 256 * 1024 * 1024 && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    endless.listen(0, '127.0.0.1');
    await once(endless, 'listening');
    const closed = new Promise((resolve) =>
      endless.once('request', (_q, r) => r.once('close', resolve)),
    );
    try {
      const { port } = endless.address() as AddressInfo;
      const error = await downloadFile(
        options({ url: `http://127.0.0.1:${port}/model.onnx`, maxBytes: 1024 * 1024 }),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FileTooLargeError);
      expect((error as plugin.FileTooLargeError).bytes).toBeGreaterThan(1024 * 1024);
      expect((error as Error).message).toMatch(/sent at least \d+ bytes, more than the 1048576/);
      await closed;
      expect(sent).toBeLessThan(256 * 1024 * 1024);
      expect(await filesInCache()).toEqual([]);
    } finally {
      endless.closeAllConnections();
      await new Promise((resolve) => endless.close(resolve));
    }
  });

  it('rejects a malformed hash or URL before any request', async () => {
    await expect(downloadFile(options({ sha256: 'abc' }))).rejects.toThrow(/64 hex digits/);
    await expect(downloadFile(options({ url: 'ftp://x/y' }))).rejects.toThrow(/http\(s\)/);
    await expect(downloadFile(options({ url: 'not a url' }))).rejects.toThrow(/not a valid URL/);
    await expect(downloadFile(options({ maxBytes: 0 }))).rejects.toThrow(/maxBytes must be/);
    expect(server.requests).toEqual([]);
  });

  it('uses AGENTS_CACHE_DIR when no cache directory is given', async () => {
    const previous = process.env.AGENTS_CACHE_DIR;
    process.env.AGENTS_CACHE_DIR = cacheDir;
    try {
      const path = await plugin.downloadFile({ ...options(), cacheDir: undefined });
      expect(path).toBe(join(cacheDir, 'silero/model.onnx'));
    } finally {
      if (previous === undefined) delete process.env.AGENTS_CACHE_DIR;
      else process.env.AGENTS_CACHE_DIR = previous;
    }
  });
});

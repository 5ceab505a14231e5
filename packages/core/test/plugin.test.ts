import { describe, expect, it } from 'vitest';
import { downloadPluginFiles } from '../src/cli/download-files.js';
import { Plugin, PluginRegistrationError } from '../src/plugin/plugin.js';

class RecordingPlugin extends Plugin {
  constructor(
    name: string,
    private readonly calls: string[],
    private readonly failWith?: Error,
  ) {
    super({ title: `Plugin ${name}`, version: '1.2.3', package: `@test/plugin-${name}` });
  }

  override async downloadFiles(): Promise<void> {
    this.calls.push(this.package);
    if (this.failWith) throw this.failWith;
  }
}

describe('plugin registry', () => {
  it('lists registered plugins in registration order', () => {
    const calls: string[] = [];
    const first = new RecordingPlugin('first', calls);
    const second = new RecordingPlugin('second', calls);
    Plugin.registerPlugin(first);
    Plugin.registerPlugin(second);
    const registered = Plugin.registeredPlugins;
    expect(registered.indexOf(first)).toBeGreaterThanOrEqual(0);
    expect(registered.indexOf(second)).toBe(registered.indexOf(first) + 1);
    expect(first).toMatchObject({ title: 'Plugin first', version: '1.2.3' });
  });

  it('refuses to register the same package twice, saying why it happens', () => {
    Plugin.registerPlugin(new RecordingPlugin('twice', []));
    const count = Plugin.registeredPlugins.length;
    expect(() => Plugin.registerPlugin(new RecordingPlugin('twice', []))).toThrow(
      PluginRegistrationError,
    );
    expect(() => Plugin.registerPlugin(new RecordingPlugin('twice', []))).toThrow(
      /@test\/plugin-twice is already registered .*npm ls @test\/plugin-twice/,
    );
    expect(Plugin.registeredPlugins.length).toBe(count);
  });

  it('validates plugin info at construction', () => {
    class Bare extends Plugin {}
    expect(() => new Bare({ title: 'x', version: '', package: 'p' })).toThrow(
      /Plugin version must be a non-empty string/,
    );
    expect(() => Plugin.registerPlugin({ package: 'fake' } as unknown as Plugin)).toThrow(
      /instance of a Plugin subclass/,
    );
  });

  it('has nothing to download by default', async () => {
    class NoFiles extends Plugin {}
    await expect(
      new NoFiles({ title: 'n', version: '1', package: 'n' }).downloadFiles(),
    ).resolves.toBeUndefined();
  });
});

describe('downloadPluginFiles', () => {
  it('runs each plugin in turn', async () => {
    const calls: string[] = [];
    await downloadPluginFiles([new RecordingPlugin('a', calls), new RecordingPlugin('b', calls)]);
    expect(calls).toEqual(['@test/plugin-a', '@test/plugin-b']);
  });

  it('stops at the first failure with an error naming the plugin', async () => {
    const calls: string[] = [];
    const plugins = [
      new RecordingPlugin('ok', calls),
      new RecordingPlugin('broken', calls, new Error('disk full')),
      new RecordingPlugin('never', calls),
    ];
    await expect(downloadPluginFiles(plugins)).rejects.toThrow('@test/plugin-broken: disk full');
    expect(calls).toEqual(['@test/plugin-ok', '@test/plugin-broken']);
  });
});

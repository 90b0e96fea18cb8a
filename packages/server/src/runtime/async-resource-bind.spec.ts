import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { installLeanAsyncResourceBind, restoreAsyncResourceBind } from './async-resource-bind';

describe('the lean AsyncResource#bind', () => {
  const nodeBind = AsyncResource.prototype.bind;
  let installed = false;

  beforeAll(() => {
    installed = installLeanAsyncResourceBind();
  });
  afterAll(() => restoreAsyncResourceBind());

  it('is installed where Node defines the deprecated accessor (Node 20), and only once', () => {
    const probe = (nodeBind as (this: AsyncResource, fn: () => void) => () => void).call(new AsyncResource('probe'), () => undefined);
    expect(installed).toBe(Object.getOwnPropertyDescriptor(probe, 'asyncResource') !== undefined);
    expect(installLeanAsyncResourceBind()).toBe(installed);
  });

  it('binds as Node does: the resource async scope, this, arguments, result, length; no deprecated accessor', () => {
    const storage = new AsyncLocalStorage<string>();
    const resource = storage.run('inside', () => new AsyncResource('test'));
    const fn = function (this: unknown, a: number, b: number): [string | undefined, unknown, number] {
      return [storage.getStore(), this, a + b];
    };
    const receiver = { name: 'receiver' };

    const bound = resource.bind(fn);
    expect(storage.getStore()).toBeUndefined();
    expect(bound.call(receiver, 1, 2)).toEqual(['inside', receiver, 3]);
    expect(bound.length).toBe(2);
    expect(Object.getOwnPropertyDescriptor(bound, 'asyncResource')).toBeUndefined();

    const withThis = (resource.bind as (f: typeof fn, thisArg: unknown) => typeof fn).call(resource, fn, receiver);
    expect(withThis.call({ other: true }, 2, 3)).toEqual(['inside', receiver, 5]);
    expect(withThis.length).toBe(2);

    // The static form goes through it too.
    const staticBound = storage.run('static', () => AsyncResource.bind((x: number) => [storage.getStore(), x]));
    expect(staticBound(7)).toEqual(['static', 7]);
    // Errors thrown by the function come through.
    expect(() => resource.bind(() => { throw new RangeError('boom'); })()).toThrow(RangeError);
  });

  it('refuses what is not a function with Node own error', () => {
    expect(() => new AsyncResource('x').bind('nope' as unknown as () => void)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  it('HTTP/2 requests made while the session connects (the bound pending request) are sent and answered', async () => {
    const server = http2.createServer((request, response) => response.end(`${request.method} ${request.url}`));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const session = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const answers = await Promise.all(
        ['/a', '/b', '/c'].map(
          (path) =>
            new Promise<string>((resolve, reject) => {
              const stream = session.request({ ':path': path });
              let text = '';
              stream.setEncoding('utf8');
              stream.on('data', (chunk: string) => (text += chunk));
              stream.on('end', () => resolve(text));
              stream.on('error', reject);
              stream.end();
            }),
        ),
      );
      expect(answers).toEqual(['GET /a', 'GET /b', 'GET /c']);
    } finally {
      session.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

import { isN32cHandshakePath, isN32fProcessPath, isSeppApiPath, N32C_PATHS, N32F_PROCESS_PATH } from './api-paths';

describe('the paths of the SEPP APIs', () => {
  it.each([
    [N32C_PATHS.exchangeCapability, true],
    [N32C_PATHS.exchangeParams, true],
    [`${N32C_PATHS.n32fTerminate}?x=1`, true],
    ['/n32c-handshake/v2/anything', true],
    ['/n32c-handshake', true],
    ['/n32c-handshake?x', true],
    ['/n32c-handshakes/v1/exchange-capability', false],
    [N32F_PROCESS_PATH, false],
    ['/nsepp-telescopic/v1/mapping', false],
    ['/nudm-sdm/v2/imsi-001010000000001/am-data', false],
    ['/x/n32c-handshake/v1/exchange-capability', false],
  ])('isN32cHandshakePath(%s) is %s', (path, expected) => {
    expect(isN32cHandshakePath(path)).toBe(expected);
  });

  it('an N32-c path is a SEPP API path; n32f-process is one too but no N32-c path; an NF path is neither', () => {
    expect([isSeppApiPath(N32C_PATHS.exchangeParams), isN32fProcessPath(N32C_PATHS.exchangeParams)]).toEqual([true, false]);
    expect([isSeppApiPath(N32F_PROCESS_PATH), isN32fProcessPath(`${N32F_PROCESS_PATH}?q`), isN32cHandshakePath(N32F_PROCESS_PATH)]).toEqual([true, true, false]);
    expect([isSeppApiPath('/nudm-sdm/v2/x'), isN32fProcessPath('/nudm-sdm/v2/x')]).toEqual([false, false]);
  });
});

import { checkNetworkId } from './network-ids';

const A = [{ mcc: '001', mnc: '01' }];
const B3 = [{ mcc: '310', mnc: '410' }];

describe('network-ID formats', () => {
  it.each([
    [{ mcc: '001', mnc: '01' }, 'plmnId', A, 'ok'],
    [{ mcc: '001', mnc: '001' }, 'plmnId', A, 'ok'], // the FQDN key compares 3-digit MNCs
    [{ mcc: '002', mnc: '02' }, 'plmnId', A, 'mismatch'],
    [{ mcc: '001' }, 'plmnId', A, 'malformed'],
    [[{ mcc: '001', mnc: '01' }, { mcc: '002', mnc: '02' }], 'plmnIdList', A, 'mismatch'],
    [[], 'plmnIdList', A, 'malformed'],
    ['5G:mnc001.mcc001.3gppnetwork.org', 'servingNetworkName', A, 'ok'],
    ['5G:mnc002.mcc002.3gppnetwork.org', 'servingNetworkName', A, 'mismatch'],
    ['5G:mnc001.mcc001.3gppnetwork.org:0123456789A', 'servingNetworkName', A, 'ok'],
    ['mnc001.mcc001.3gppnetwork.org', 'servingNetworkName', A, 'malformed'],
    ['001-01', 'originatingNetworkId', A, 'ok'],
    ['002-02', 'originatingNetworkId', A, 'mismatch'],
    ['nonsense', 'originatingNetworkId', A, 'malformed'],
    ['imsi-001010000000001', 'ueIdentity', A, 'ok'],
    ['imsi-002020000000001', 'ueIdentity', A, 'mismatch'],
    ['imsi-310410000000001', 'ueIdentity', B3, 'ok'],
    ['imsi-310041000000001', 'ueIdentity', B3, 'mismatch'],
    ['suci-0-001-01-0000-0-0-0000000001', 'ueIdentity', A, 'ok'],
    ['suci-0-002-02-0000-0-0-0000000001', 'ueIdentity', A, 'mismatch'],
    ['nai-user@nai.5gc.mnc001.mcc001.3gppnetwork.org', 'ueIdentity', A, 'ok'],
    ['nai-user@nai.5gc.mnc002.mcc002.3gppnetwork.org', 'ueIdentity', A, 'mismatch'],
    ['nai-user@example.com', 'ueIdentity', A, 'skip'],
    ['msisdn-0100000000001', 'ueIdentity', A, 'skip'],
    ['shared-data', 'ueIdentity', A, 'skip'],
  ] as const)('%j as %s of %j: %s', (value, format, expected, kind) => {
    expect(checkNetworkId(value, format, expected).kind).toBe(kind);
  });
});

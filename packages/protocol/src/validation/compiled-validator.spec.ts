import fc from 'fast-check';
import { TransformationType } from 'class-transformer';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { getMetadataStorage } from 'class-validator';
import * as protocol from '../index';
import { compileValidator } from './compiled-validator';
import { validateBody, validateBodyWithLibraries, type ValidationOutcome } from './validate-body';

/**
 * The compiled validation must give what class-transformer + class-validator give: the same
 * instance (classes included), or the same error (cause, detail, invalidParams in order). Checked
 * for every body class of this package, on valid bodies, on bodies built from each class's own
 * schema with values of every JSON type, and on valid bodies with random parts replaced, dropped
 * or added. The one allowed difference: where the libraries throw (a free-form object with its own
 * `constructor` member), the compiled path answers with an error instead.
 */

type Cls = new () => object;

const RUNS = Number(process.env['SEPP_VALIDATOR_RUNS'] ?? 150);

/** Every class of the package that carries validation decorators. */
const storage = getMetadataStorage() as unknown as { validationMetadatas: Map<Cls, unknown[]> };
const exported = new Set(Object.values(protocol).filter((value): value is Cls => typeof value === 'function'));
const classes = [...storage.validationMetadatas.keys()].filter((cls) => exported.has(cls));

const policy = protocol.toProtectionPolicyData(protocol.defaultProtectionPolicy());
const jwe = { protected: 'eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4R0NNIn0', aad: 'e30', iv: 'AAAAAAAAAAAAAAAA', ciphertext: 'abc', tag: 'def', encrypted_key: '' };
/** Valid bodies of the main classes (mutated below), and a pool of plausible values for every attribute. */
const CORPUS: Array<[Cls, unknown]> = [
  [
    protocol.SecNegotiateReqData,
    {
      sender: 'sepp.5gc.mnc002.mcc002.3gppnetwork.org',
      supportedSecCapabilityList: ['TLS', 'PRINS'],
      n32HandshakeId: '0123456789abcdef',
      '3GppSbiTargetApiRootSupported': true,
      plmnIdList: [{ mcc: '002', mnc: '02' }],
      targetPlmnId: { mcc: '001', mnc: '01' },
      intendedUsagePurpose: [{ usagePurpose: 'ROAMING' }],
      supportedFeatures: '0',
    },
  ],
  [protocol.SecNegotiateRspData, { sender: 'sepp.5gc.mnc001.mcc001.3gppnetwork.org', selectedSecCapability: 'TLS', plmnIdList: [{ mcc: '001', mnc: '01' }], supportedFeatures: '0', n32HandshakeId: '0123456789abcdef' }],
  [
    protocol.SecParamExchReqData,
    {
      n32fContextId: '0123456789abcdef',
      jweCipherSuiteList: ['A128GCM', 'A256GCM'],
      jwsCipherSuiteList: ['ES256'],
      protectionPolicyInfo: policy,
      ipxProviderSecInfoList: [{ ipxProviderId: 'ipx.example.org', rawPublicKeyList: ['MFkw'], certificateList: ['MIIB'] }],
      sender: 'sepp.5gc.mnc002.mcc002.3gppnetwork.org',
    },
  ],
  [protocol.SecParamExchRspData, { n32fContextId: 'fedcba9876543210', selectedJweCipherSuite: 'A128GCM', selectedJwsCipherSuite: 'ES256', selProtectionPolicyInfo: policy, sender: 'sepp.5gc.mnc001.mcc001.3gppnetwork.org' }],
  [protocol.MetaData, { n32fContextId: '0123456789abcdef', messageId: '00000000000000a1', authorizedIpxId: 'NULL' }],
  [protocol.N32fContextInfo, { n32fContextId: '0123456789abcdef' }],
  [
    protocol.N32fErrorInfo,
    {
      n32fMessageId: '00000000000000a1',
      n32fErrorType: 'INTEGRITY_CHECK_FAILED',
      n32fContextId: '0123456789abcdef',
      failedModificationList: [{ ipxId: 'ipx.example.org', n32fErrorType: 'INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED' }],
      errorDetailsList: [{ attribute: '/payload/0/value', msgReconstructFailReason: 'INVALID_INDEX_TO_ENCRYPTED_BLOCK' }],
      policyMismatchList: [{ param: '/dataTypeEncPolicy', reason: 'missing LOCATION' }],
    },
  ],
  [protocol.N32fReformattedReqMsg, { reformattedData: jwe, modificationsBlock: [{ protected: 'eyJ9', payload: 'e30', signature: 'c2ln', header: { kid: 'x' } }] }],
  [protocol.N32fReformattedRspMsg, { reformattedData: jwe }],
  [
    protocol.DataToIntegrityProtectBlock,
    {
      metaData: { n32fContextId: 'ABCDEF0123456789', messageId: '00000000000000a1', authorizedIpxId: 'NULL' },
      requestLine: { method: 'GET', scheme: 'https', authority: 'udm.example.org', path: 'encBlockIndex/1', protocolVersion: 'HTTP/2', queryFragment: 'a=b' },
      headers: [
        { header: 'authorization', value: { encBlockIndex: 0 } },
        { header: 'accept', value: 'application/json' },
      ],
      payload: [
        { iePath: '/supi', ieValueLocation: 'BODY', value: { encBlockIndex: 2 } },
        { iePath: '/list', ieValueLocation: 'BODY', value: [1, { a: 'b', constructor: null, toString: 1 }] },
      ],
    },
  ],
  [protocol.ProblemDetails, { type: 'about:blank', title: 'Forbidden', status: 403, detail: 'x', cause: 'UNSPECIFIED', invalidParams: [{ param: '/sender', reason: 'x' }] }],
];

function leaves(value: unknown, out: unknown[] = []): unknown[] {
  if (Array.isArray(value)) value.forEach((item) => leaves(item, out));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((item) => leaves(item, out));
  else out.push(value);
  return out;
}

const POOL = [...new Set([...leaves(CORPUS.map(([, body]) => body)), 'PRINS', 'NONE', 'BODY', 'HEADER', 'URI_PATH', 'UEID', 'GET', 'A256GCM', '', 'x', -1, 0, 1.5, 2 ** 53, true, false, null])];

const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.constantFrom(...POOL), fc.string(), fc.integer(), fc.boolean(), fc.constant(null), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 3 }),
  object: fc.dictionary(fc.oneof(fc.constantFrom('__proto__', 'constructor', 'toString', 'encBlockIndex', 'value', 'header'), fc.string({ maxLength: 5 })), tie('value'), { maxKeys: 3 }),
})).value;

/** A body built from a class's own schema: its attributes (some), values of any type, nested classes recursively. */
function schemaArbitrary(cls: Cls, depth: number): fc.Arbitrary<unknown> {
  const keys = defaultMetadataStorage.getExposedProperties(cls, TransformationType.PLAIN_TO_CLASS);
  const entries = keys.map((key) => {
    const nested = defaultMetadataStorage.findTypeMetadata(cls, key);
    const nestedCls = nested ? (nested.typeFunction() as Cls) : undefined;
    const options: fc.Arbitrary<unknown>[] = [json, fc.constantFrom(...POOL)];
    if (nestedCls && depth < 3) options.push(schemaArbitrary(nestedCls, depth + 1), fc.array(schemaArbitrary(nestedCls, depth + 1), { minLength: 0, maxLength: 3 }));
    return [key, fc.option(fc.oneof(...options), { nil: undefined, freq: 3 })] as const;
  });
  return fc.tuple(fc.record(Object.fromEntries(entries)), fc.option(fc.dictionary(fc.string({ maxLength: 4 }), json, { maxKeys: 2 }), { nil: undefined })).map(([record, extra]) => {
    const out: Record<string, unknown> = { ...extra };
    for (const [key, value] of Object.entries(record)) if (value !== undefined) out[key] = value;
    return out;
  });
}

/** Valid bodies with random values replaced, members dropped or added (at any depth). */
function mutated(body: unknown): fc.Arbitrary<unknown> {
  return fc.array(fc.tuple(fc.nat(), fc.constantFrom('replace', 'drop', 'add'), json, fc.string({ maxLength: 6 })), { minLength: 1, maxLength: 4 }).map((steps) => {
    const copy = JSON.parse(JSON.stringify(body)) as unknown;
    for (const [at, how, value, key] of steps) {
      const containers: Array<Record<string, unknown> | unknown[]> = [];
      const walk = (node: unknown): void => {
        if (node !== null && typeof node === 'object') {
          containers.push(node as Record<string, unknown>);
          Object.values(node).forEach(walk);
        }
      };
      walk(copy);
      const target = containers[at % containers.length]!;
      if (Array.isArray(target)) {
        if (how === 'add' || target.length === 0) target.push(value);
        else if (how === 'replace') target[at % target.length] = value;
        else target.splice(at % target.length, 1);
        continue;
      }
      const keys = Object.keys(target);
      const name = keys.length > 0 ? keys[at % keys.length]! : key;
      if (how === 'drop') delete target[name];
      else if (how === 'replace') target[name] = value;
      else target[key] = value;
    }
    return copy;
  });
}

/** Through JSON text, as bodies arrive (a `__proto__` member becomes an own member). */
const viaJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value) ?? 'null');

function comparable(outcome: ValidationOutcome<object>): unknown {
  return outcome.ok ? { ok: true, value: outcome.value } : { ok: false, code: outcome.error.code, detail: outcome.error.detail, invalidParams: outcome.error.invalidParams };
}

/** The body with every member named `constructor` set to null (which class-transformer drops without throwing). */
function constructorsNulled(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(constructorsNulled);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) Object.defineProperty(out, key, { value: key === 'constructor' ? null : constructorsNulled(item), enumerable: true, writable: true, configurable: true });
  return out;
}

function expectSame(cls: Cls, body: unknown): void {
  let reference: ValidationOutcome<object>;
  try {
    reference = validateBodyWithLibraries(cls, body);
  } catch (error) {
    // class-transformer takes a free-form object's own `constructor` member for its class and
    // throws; the compiled path treats that object like any other, as the libraries do once the
    // member is null.
    expect(error).toBeInstanceOf(TypeError);
    expect(JSON.stringify(body)).toContain('"constructor"');
    reference = validateBodyWithLibraries(cls, constructorsNulled(body));
  }
  expect(comparable(validateBody(cls, body))).toStrictEqual(comparable(reference));
}

describe('compiled validation = class-transformer + class-validator', () => {
  it('covers every body class of the package', () => {
    expect(classes.length).toBeGreaterThan(30);
    for (const cls of classes) expect({ cls: cls.name, compiled: compileValidator(cls) !== null }).toEqual({ cls: cls.name, compiled: true });
  });

  it.each(CORPUS.map(([cls, body]) => [cls.name, cls, body] as const))('valid %s: the same instance', (_name, cls, body) => {
    const outcome = validateBody(cls, viaJson(body));
    expect(outcome.ok).toBe(true);
    expectSame(cls, viaJson(body));
  });

  it.each(CORPUS.map(([cls, body]) => [cls.name, cls, body] as const))('mutated %s', (_name, cls, body) => {
    fc.assert(fc.property(mutated(body), (candidate) => expectSame(cls, viaJson(candidate))), { numRuns: RUNS });
  });

  it.each(classes.map((cls) => [cls.name, cls] as const))('%s built from its schema', (_name, cls) => {
    fc.assert(fc.property(schemaArbitrary(cls, 0), (candidate) => expectSame(cls, viaJson(candidate))), { numRuns: RUNS });
  });

  it('answers an own `constructor` member in a free-form object, where class-transformer throws', () => {
    const body = JSON.parse('{"sender":{"constructor":1},"supportedSecCapabilityList":["TLS"]}') as unknown;
    expect(() => validateBodyWithLibraries(protocol.SecNegotiateReqData, body)).toThrow(TypeError);
    const outcome = validateBody(protocol.SecNegotiateReqData, body);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error.invalidParams?.[0]?.param).toBe('/sender');
  });
});

import * as protocol from '../index';
import { isMandatoryAttribute } from '../models/field-decorators';
import { buildN32OpenApi, type N32OperationId, type OpenApiDocument } from './build-n32-openapi';
import { OFFICIAL_ENUMS, OFFICIAL_NOT_SERVED, OFFICIAL_ONE_OFS, OFFICIAL_OPERATIONS, OFFICIAL_SCHEMAS, type OfficialOperation } from './official-surface';

const REF = '#/components/schemas/';
const ALL_APIS = ['n32c-handshake', 'n32f-forward', 'telescopic'] as const;
const doc: OpenApiDocument = buildN32OpenApi({ apis: ALL_APIS, title: 'N32 APIs', version: '0.0.0' });
const schemas = doc.components.schemas as Record<string, any>;
const officialOperations: OfficialOperation[] = Object.values(OFFICIAL_OPERATIONS).flat();
const key = (operation: { method: string; path: string }): string => `${operation.method.toUpperCase()} ${operation.path}`;

function operationOf(official: OfficialOperation): any {
  return (doc.paths[official.path] as Record<string, any> | undefined)?.[official.method.toLowerCase()];
}

/** The component a property refers to: its own `$ref` or its items'. */
function refOf(property: any): string | undefined {
  const ref: unknown = property?.$ref ?? property?.items?.$ref;
  return typeof ref === 'string' && ref.startsWith(REF) ? ref.slice(REF.length) : undefined;
}

/** An official schema with its `allOf` parts merged (ProblemDetailsMsgForwarding). */
function officialFlat(name: string): { properties: string[]; required: string[]; refs: Record<string, string> } {
  const schema = OFFICIAL_SCHEMAS[name]!;
  const parts = (schema.allOf ?? []).map(officialFlat);
  return {
    properties: [...parts.flatMap((part) => part.properties), ...schema.properties],
    required: [...parts.flatMap((part) => part.required), ...schema.required],
    refs: Object.assign({}, ...parts.map((part) => part.refs), schema.refs ?? {}) as Record<string, string>,
  };
}

function notServedProperties(name: string): string[] {
  const own = Object.keys(OFFICIAL_NOT_SERVED.properties[name] ?? {});
  return [...(OFFICIAL_SCHEMAS[name]?.allOf ?? []).flatMap(notServedProperties), ...own];
}

const implementedSchemas = Object.keys(OFFICIAL_SCHEMAS).filter((name) => !(name in OFFICIAL_NOT_SERVED.schemas));

/** Every `$ref` in a JSON value, with the object that holds it. */
function refsIn(value: unknown, found: { ref: string; holder: Record<string, unknown> }[] = []): typeof found {
  if (Array.isArray(value)) value.forEach((item) => refsIn(item, found));
  else if (value !== null && typeof value === 'object') {
    const holder = value as Record<string, unknown>;
    if (typeof holder.$ref === 'string') found.push({ ref: holder.$ref, holder });
    Object.values(holder).forEach((item) => refsIn(item, found));
  }
  return found;
}

function resolves(document: OpenApiDocument, ref: string): boolean {
  const [, section, name] = /^#\/components\/(schemas|responses)\/(.+)$/.exec(ref) ?? [];
  return section !== undefined && name !== undefined && name in (document.components as Record<string, Record<string, unknown>>)[section]!;
}

describe('buildN32OpenApi: paths and operations against TS 29.573 Rel-19', () => {
  it('serves every official path and method, and no other', () => {
    const ours = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => key({ method, path })));
    expect(ours.sort()).toEqual(officialOperations.map(key).sort());
  });

  it.each(officialOperations.map((operation) => [key(operation), operation] as const))('%s: operation ID, bodies, parameters and responses', (_name, official) => {
    const operation = operationOf(official);
    expect(operation.operationId).toBe(official.operationId);

    if (official.requestBody) {
      expect(operation.requestBody.required).toBe(true);
      expect(operation.requestBody.content).toEqual({ 'application/json': { schema: { $ref: `${REF}${official.requestBody}` } } });
    } else {
      expect(operation.requestBody).toBeUndefined();
    }

    const success = operation.responses[official.success.status];
    if (official.success.schema) expect(success.content).toEqual({ 'application/json': { schema: { $ref: `${REF}${official.success.schema}` } } });
    else expect(success.content).toBeUndefined();

    const notServed = Object.keys(OFFICIAL_NOT_SERVED.responses[key(official)] ?? {});
    expect(Object.keys(operation.responses).sort()).toEqual(official.responses.filter((code) => !notServed.includes(code)).sort());

    for (const [code, response] of Object.entries<any>(operation.responses)) {
      if (code === official.success.status) continue;
      const resolved: any = response.$ref ? doc.components.responses[String(response.$ref).split('/').pop()!] : response;
      expect(resolved).toBeDefined();
      if (!resolved.content) continue;
      expect(Object.keys(resolved.content)).toEqual(['application/problem+json']);
      const expected = official.problemSchemas?.[code] ?? 'ProblemDetails';
      expect(resolved.content['application/problem+json'].schema).toEqual({ $ref: `${REF}${expected}` });
    }

    const parameters = (operation.parameters ?? []) as { name: string; in: string }[];
    expect(parameters.filter((p) => p.in === 'query').map((p) => p.name)).toEqual(official.queryParameters ?? []);
    const notServedHeaders = Object.keys(OFFICIAL_NOT_SERVED.headerParameters[key(official)] ?? {});
    expect(parameters.filter((p) => p.in === 'header').map((p) => p.name)).toEqual((official.headerParameters ?? []).filter((h) => !notServedHeaders.includes(h)));
  });

  it('lists as not served only responses and parameters the official operations have', () => {
    for (const [operation, codes] of Object.entries(OFFICIAL_NOT_SERVED.responses)) {
      const official = officialOperations.find((candidate) => key(candidate) === operation);
      expect(official?.responses).toEqual(expect.arrayContaining(Object.keys(codes)));
    }
    for (const [operation, headers] of Object.entries(OFFICIAL_NOT_SERVED.headerParameters)) {
      const official = officialOperations.find((candidate) => key(candidate) === operation);
      expect(official?.headerParameters).toEqual(expect.arrayContaining(Object.keys(headers)));
    }
  });

  it('n32f-error and the n32f-process OPTIONS answer 204 without a body', () => {
    expect(doc.paths['/n32c-handshake/v1/n32f-error']!.post!.responses['204']).toEqual({ description: expect.any(String) });
    expect(doc.paths['/n32f-forward/v1/n32f-process']!.options!.responses['204']).toEqual({ description: expect.any(String) });
  });
});

describe('buildN32OpenApi: schemas against the official attribute names', () => {
  it('has a component for each official schema, enumeration and oneOf we implement, and nothing else', () => {
    const expected = [...implementedSchemas, ...Object.keys(OFFICIAL_ENUMS), ...Object.keys(OFFICIAL_ONE_OFS)];
    expect(Object.keys(schemas).sort()).toEqual(expected.sort());
  });

  it.each(implementedSchemas)('%s: same attribute names, required list and referenced components', (name) => {
    const official = officialFlat(name);
    const notServed = notServedProperties(name);
    const ours = schemas[name];
    expect(ours.type).toBe('object');
    // Every official attribute with the same spelling, and none of our own.
    expect(Object.keys(ours.properties).sort()).toEqual(official.properties.filter((p) => !notServed.includes(p)).sort());
    expect([...(ours.required ?? [])].sort()).toEqual([...official.required].sort());
    for (const [property, component] of Object.entries(official.refs)) {
      if (notServed.includes(property)) continue;
      expect([property, refOf(ours.properties[property])]).toEqual([property, component]);
    }
  });

  it('lists as not served only official attributes and schemas, absent from the document', () => {
    for (const [name, properties] of Object.entries(OFFICIAL_NOT_SERVED.properties)) {
      expect(OFFICIAL_SCHEMAS[name]!.properties).toEqual(expect.arrayContaining(Object.keys(properties)));
      for (const property of Object.keys(properties)) expect(schemas[name].properties).not.toHaveProperty([property]);
    }
    for (const name of Object.keys(OFFICIAL_NOT_SERVED.schemas)) expect(schemas).not.toHaveProperty([name]);
  });

  it('keeps the names that break the naming rules, and the Rel-19 port attributes', () => {
    expect(schemas.SecNegotiateReqData.properties).toHaveProperty(['3GppSbiTargetApiRootSupported'], { type: 'boolean' });
    expect(schemas.SecNegotiateRspData.properties).toHaveProperty(['3GppSbiTargetApiRootSupported'], { type: 'boolean' });
    expect(schemas.ApiIeMapping.properties).toHaveProperty(['IeList']);
    expect(schemas.FlatJweJson.properties).toHaveProperty(['encrypted_key']);
    expect(schemas.IndexToEncryptedValue.properties).toHaveProperty(['encBlockIndex']);
    // Rel-19: a list of ports in the request, one port in the answer (Rel-18 had it the other way).
    expect(schemas.SecNegotiateReqData.properties.senderN32fPortList).toEqual({ type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 1 });
    expect(schemas.SecNegotiateReqData.properties).not.toHaveProperty(['senderN32fPort']);
    expect(schemas.SecNegotiateRspData.properties.senderN32fPort).toEqual({ type: 'integer', minimum: 0 });
    expect(schemas.SecNegotiateRspData.properties).not.toHaveProperty(['senderN32fPortList']);
  });

  it('takes every required list from the Mandatory decorators of the validating class', () => {
    const exported = protocol as unknown as Record<string, unknown>;
    for (const name of implementedSchemas) {
      const model = exported[name] as (new () => object) | undefined;
      expect([name, typeof model]).toEqual([name, 'function']);
      const mandatory = Object.keys(schemas[name].properties).filter((property) => isMandatoryAttribute(model!.prototype as object, property));
      expect([name, [...(schemas[name].required ?? [])].sort()]).toEqual([name, mandatory.sort()]);
    }
  });
});

describe('buildN32OpenApi: open enumerations and oneOfs', () => {
  it.each(Object.entries(OFFICIAL_ENUMS))('%s is an open enumeration with every official value', (name, values) => {
    const [known, open] = schemas[name].anyOf;
    expect(known.type).toBe('string');
    expect(known.enum).toEqual(expect.arrayContaining([...values]));
    // No value of our own invention either.
    expect([...known.enum].sort()).toEqual([...values].sort());
    expect(open).toEqual({ type: 'string' });
  });

  it.each(Object.entries(OFFICIAL_ONE_OFS))('%s is oneOf a string or %s', (name, component) => {
    expect(schemas[name].oneOf).toEqual([expect.objectContaining({ type: 'string' }), { $ref: `${REF}${component}` }]);
  });
});

describe('buildN32OpenApi: generated schema details', () => {
  const FQDN = { type: 'string', minLength: 4, maxLength: 253, pattern: protocol.FQDN_PATTERN.source };
  const CONTEXT_ID = { type: 'string', pattern: '^[A-Fa-f0-9]{16}$' };

  it('carries the TS 29.571 patterns and bounds', () => {
    for (const [schema, property] of [
      ['SecNegotiateReqData', 'sender'],
      ['SecNegotiateReqData', 'senderN32fFqdn'],
      ['SecNegotiateRspData', 'sender'],
      ['SecParamExchReqData', 'sender'],
      ['IpxProviderSecInfo', 'ipxProviderId'],
      ['FailedModificationInfo', 'ipxId'],
      ['RiErrorInformation', 'alternativeRi'],
      ['MetaData', 'riFqdn'],
      ['TelescopicMapping', 'foreignFqdn'],
    ] as const) {
      expect([schema, property, schemas[schema].properties[property]]).toEqual([schema, property, FQDN]);
    }
    expect(schemas.PlmnId.properties).toEqual({ mcc: { type: 'string', pattern: '^\\d{3}$' }, mnc: { type: 'string', pattern: '^\\d{2,3}$' } });
    expect(schemas.PlmnIdNid.properties.nid).toEqual({ type: 'string', pattern: '^[A-Fa-f0-9]{11}$' });
    for (const schema of ['SecParamExchReqData', 'SecParamExchRspData', 'N32fContextInfo', 'N32fErrorInfo', 'MetaData']) {
      expect([schema, schemas[schema].properties.n32fContextId]).toEqual([schema, CONTEXT_ID]);
    }
    expect(schemas.SecNegotiateReqData.properties.n32HandshakeId).toEqual(CONTEXT_ID);
    expect(schemas.SecNegotiateReqData.properties.supportedFeatures).toEqual({ type: 'string', pattern: '^[A-Fa-f0-9]*$' });
    expect(schemas.IndexToEncryptedValue.properties.encBlockIndex).toEqual({ type: 'integer', minimum: 0 });
  });

  it('gives every list minItems 1, and the Rel-19 upper bounds', () => {
    for (const [name, schema] of Object.entries(schemas)) {
      for (const [property, value] of Object.entries<any>(schema.properties ?? {})) {
        if (value.type === 'array') expect([name, property, value.minItems]).toEqual([name, property, 1]);
      }
    }
    expect(schemas.SecParamExchReqData.properties.secProfiles.maxItems).toBe(256);
    expect(schemas.SecParamExchRspData.properties.selSecProfiles.maxItems).toBe(256);
    expect(schemas.RequestLine.properties.pathQueryProtectInd).toEqual({ type: 'array', items: { $ref: `${REF}IeLocation` }, minItems: 1, maxItems: 2 });
    expect(schemas.DataToIntegrityProtectAndCipherBlock.properties.dataToEncrypt).toEqual({ type: 'array', items: {}, minItems: 1 });
    expect(schemas.IeInfo.properties.isModifiableByIpx).toEqual({ type: 'object', additionalProperties: { type: 'boolean' }, minProperties: 1 });
  });

  it('is plain OpenAPI 3.0 JSON whose references all resolve', () => {
    expect(doc.openapi).toMatch(/^3\.0\.\d+$/);
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
    const refs = refsIn(doc);
    expect(refs.length).toBeGreaterThan(50);
    for (const { ref, holder } of refs) {
      expect([ref, resolves(doc, ref)]).toEqual([ref, true]);
      // OpenAPI 3.0 ignores the siblings of a $ref.
      expect(Object.keys(holder)).toEqual(['$ref']);
    }
    // JSON Schema `type: null` and the `not` the default IsDefined converter writes are not OpenAPI 3.0.
    expect(JSON.stringify(doc)).not.toMatch(/"not"|"type":"null"/);
  });
});

describe('buildN32OpenApi: options', () => {
  const initiatorOperations: N32OperationId[] = ['PostN32fTerminate', 'PostN32fError', 'GetTelescopicMapping'];
  const initiator = buildN32OpenApi({
    apis: ['n32c-handshake', 'telescopic'],
    operations: initiatorOperations,
    title: 'initiator',
    version: '1',
    serverUrl: 'https://sepp.example.org',
    servedBy: { GetTelescopicMapping: 'the NF-facing listener' },
  });

  it('serves only the selected APIs and operations, with the components they need', () => {
    expect(Object.keys(initiator.paths).sort()).toEqual(['/n32c-handshake/v1/n32f-error', '/n32c-handshake/v1/n32f-terminate', '/nsepp-telescopic/v1/mapping']);
    expect(Object.keys(initiator.components.schemas)).not.toContain('SecNegotiateReqData');
    expect(Object.keys(initiator.components.schemas)).toEqual(expect.arrayContaining(['N32fErrorInfo', 'N32fContextInfo', 'TelescopicMapping', 'ProblemDetails', 'N32fErrorType']));
    for (const { ref } of refsIn(initiator)) expect([ref, resolves(initiator, ref)]).toEqual([ref, true]);
    expect(initiator.tags.map((tag) => tag.name)).toEqual(['N32_Handshake', 'SeppTelescopicFqdnMapping']);

    const responder = buildN32OpenApi({ apis: ['n32c-handshake', 'n32f-forward'], title: 'responder', version: '1' });
    expect(Object.keys(responder.paths)).not.toContain('/nsepp-telescopic/v1/mapping');
    expect(Object.keys(responder.components.schemas)).toEqual(expect.arrayContaining(['DataToIntegrityProtectBlock', 'DataToIntegrityProtectAndCipherBlock']));
  });

  it('says where an operation is served, and uses the given server URL', () => {
    expect(initiator.paths['/nsepp-telescopic/v1/mapping']!.get!.description).toMatch(/Served by: the NF-facing listener$/);
    expect(initiator.paths['/n32c-handshake/v1/n32f-error']!.post!.description).not.toMatch(/Served by/);
    expect(initiator.servers).toEqual([{ url: 'https://sepp.example.org' }]);
    expect(doc.servers[0]).toMatchObject({ url: '{apiRoot}' });
  });

  it('returns a new document each time', () => {
    const first = buildN32OpenApi({ apis: ['n32c-handshake'], title: 't', version: '1' });
    (first.components.schemas.N32fContextInfo!.properties as Record<string, unknown>).changed = {};
    const second = buildN32OpenApi({ apis: ['n32c-handshake'], title: 't', version: '1' });
    expect(second.components.schemas.N32fContextInfo!.properties).not.toHaveProperty(['changed']);
  });
});

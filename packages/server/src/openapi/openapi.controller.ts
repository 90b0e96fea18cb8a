import { Controller, Get, Header, Inject, Param, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { buildN32OpenApi, N32_API_VERSIONS, type N32ApiName, type N32OpenApiOptions } from '@sepp/protocol';
import { SEPP_ROLE, type SeppRole } from '../runtime/sepp-runtime';
import { DOCS_ASSETS } from './docs-assets';

/** `info.version`: the 3GPP API versions the document follows, e.g. `n32c-handshake 1.4.0, n32f-forward 1.4.0`. */
function apiVersions(apis: readonly N32ApiName[]): string {
  return apis.map((api) => `${api} ${N32_API_VERSIONS[api]}`).join(', ');
}

const N32_LISTENER = 'the N32 listener (n32.listen): HTTP/2 over mutual TLS, from peer SEPPs';

/**
 * What each role serves, and where. The responder: the whole N32-c handshake API and n32f-process
 * (PRINS). The initiator: n32f-error and n32f-terminate on its optional N32 listener (the
 * responder's own N32-c connection towards it) and the telescopic mapping API for its NFs.
 */
export function n32OpenApiOptions(role: SeppRole): N32OpenApiOptions {
  switch (role) {
    case 'responder':
      return {
        apis: ['n32c-handshake', 'n32f-forward'],
        title: 'SEPP responder: N32 APIs',
        version: apiVersions(['n32c-handshake', 'n32f-forward']),
        servedBy: {
          PostExchangeCapability: N32_LISTENER,
          PostExchangeParams: N32_LISTENER,
          PostN32fTerminate: N32_LISTENER,
          PostN32fError: N32_LISTENER,
          PostN32fProcess: `${N32_LISTENER}; and the dedicated N32-f listener (n32f.listen) when configured`,
          // TS 29.573 defines it; the PRINS receiver takes POST only so far.
          N32fProcessOptions: `${N32_LISTENER}; and the dedicated N32-f listener (n32f.listen) when configured. Not implemented yet: OPTIONS is answered 400 (n32f-process takes POST)`,
        },
      };
    case 'initiator':
      return {
        apis: ['n32c-handshake', 'telescopic'],
        operations: ['PostN32fTerminate', 'PostN32fError', 'GetTelescopicMapping'],
        title: 'SEPP initiator: N32 and NF-facing APIs',
        version: apiVersions(['n32c-handshake', 'telescopic']),
        servedBy: {
          PostN32fTerminate: `${N32_LISTENER}, only when n32.listen is configured`,
          PostN32fError: `${N32_LISTENER}, only when n32.listen is configured`,
          GetTelescopicMapping: 'the NF-facing listener (sbi.listen): HTTP/2, h2c unless sbi.tls is set, from NFs of our PLMN',
        },
      };
  }
}

/**
 * GET /openapi.json and GET /docs on the admin listener: the OpenAPI document of the N32 APIs this
 * SEPP serves, generated from the validating classes, and Swagger UI to browse it (its assets
 * under /docs/, from the swagger-ui-dist package). The document never changes while the process
 * runs: it is built on first use and served as the same bytes after.
 */
@Controller()
export class OpenApiController {
  private json?: string;

  constructor(@Inject(SEPP_ROLE) private readonly role: SeppRole) {}

  @Get('openapi.json')
  @Header('content-type', 'application/json; charset=utf-8')
  @Header('cache-control', 'no-cache')
  openApi(): string {
    return (this.json ??= JSON.stringify(buildN32OpenApi(n32OpenApiOptions(this.role))));
  }

  @Get('docs')
  docs(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    DOCS_ASSETS.send('index.html', request, reply);
  }

  @Get('docs/:file')
  docsAsset(@Param('file') file: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    DOCS_ASSETS.serveFile(file, request, reply);
  }
}

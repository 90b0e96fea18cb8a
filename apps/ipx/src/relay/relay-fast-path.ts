import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { N32F_PROCESS_PATH } from '@sepp/protocol';
import { clientCertificateName, fastifyJsonParser, jsonPostFastPath, type FastPath, type OnRefused } from '@sepp/server';
import type { IpxLogger } from '../ipx.constants';
import { IpxStatusService } from '../status/ipx-status.service';
import { RelayService } from './relay.service';

/**
 * `POST n32f-process` without the web framework: the relay listener's HTTP/2 server hands each
 * message (an `application/json` POST on exactly the path) to the relay service straight from the
 * stream, as the SEPPs' listeners do with N32-f; per message the relay paid Fastify's request
 * pipeline and Nest's execution context (with the body parsing, about a sixth of its busy time in a
 * profile; 12% of its CPU per message in the benchmark). Same answers as the Nest
 * controller (`N32fRelayController`, which serves what this does not take: a query string, another
 * media type, OPTIONS): Fastify's JSON parser and the listener's body limit, refusals mapped,
 * logged and counted as the listener's problem filter does (`onRefused`: the status page), an
 * answered exchange counted for its sender.
 */
export function relayFastPath(relay: NestFastifyApplication, logger: IpxLogger, onRefused: OnRefused): FastPath {
  const fastify = relay.getHttpAdapter().getInstance();
  const service = relay.get(RelayService);
  const status = relay.get(IpxStatusService);
  return jsonPostFastPath(
    [
      {
        path: N32F_PROCESS_PATH,
        answer: async (body, stream, headers) => {
          const startedAt = process.hrtime.bigint();
          const answer = await service.relay(N32F_PROCESS_PATH, headers, body);
          status.traffic.record(clientCertificateName({ raw: { stream } }), 'inbound', 'answered', undefined, Number(process.hrtime.bigint() - startedAt) / 1e6);
          // As Fastify sends a Buffer without a content type (a next hop's answer relayed as it came).
          return answer.headers['content-type'] === undefined ? { ...answer, headers: { ...answer.headers, 'content-type': 'application/octet-stream' } } : answer;
        },
      },
    ],
    { logger, bodyLimit: fastify.initialConfig.bodyLimit ?? 1_048_576, parse: fastifyJsonParser(fastify), onRefused },
  );
}

import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from '../logger.js';
import type { ErrorAnswer } from '../protocol/types.js';
import { isBadRequestError } from './request-error.js';
import { registerRoutes, type RouteContext } from './routes.js';
import { validationMessage } from './validation-message.js';

/** What {@link buildServer} needs besides the route context. */
export interface ServerOptions extends RouteContext {
  logger: Logger;
  bodyLimitBytes: number;
}

function answer(reply: FastifyReply, status: number, error: string): FastifyReply {
  const body: ErrorAnswer = { status: 'error', error };

  return reply.code(status).send(body);
}

function clientMessage(error: FastifyError): string {
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return 'body is not valid JSON';
  }

  return error.message;
}

/**
 * Answers every failure as `{ status: 'error', error }`: 400 naming the field for schema and
 * protocol errors, the framework's 4xx for bodies it cannot read, and 500 otherwise.
 */
function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (error.validation !== undefined) {
    const context = error.validationContext ?? 'body';
    answer(reply, 400, validationMessage(error.validation, context));
  } else if (isBadRequestError(error)) {
    answer(reply, 400, error.message);
  } else if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    answer(reply, error.statusCode, clientMessage(error));
  } else {
    request.log.error({ err: error, url: request.url }, 'request failed');
    answer(reply, 500, 'internal error; see the collector log');
  }
}

/** Builds the collector's HTTP server (not yet listening), its routes and its error answers. */
export function buildServer(options: ServerOptions): FastifyInstance {
  const app = Fastify({
    // Typed as fastify's logger interface, which pino's logger implements.
    loggerInstance: options.logger as FastifyBaseLogger,
    // Per-request lines would drown the log at info; failures are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimitBytes,
    // Types are checked as sent: a count of "5" is an error, not 5. Query parameters are
    // strings in the schema for the same reason.
    ajv: { customOptions: { coerceTypes: false } },
  });

  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? request.url;
    answer(reply, 404, `no route ${request.method} ${path}`);
  });
  registerRoutes(app, options);

  return app;
}

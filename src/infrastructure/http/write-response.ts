import type { FastifyReply } from 'fastify';
import type { WriteResult } from '../../application/write-result';

/** Every write answers `{id, revision, position}` (+ extras such as `code`), 201 when it created. */
export function answerWrite(reply: FastifyReply, result: WriteResult): Record<string, unknown> {
  const { created, ...body } = result;
  void reply.status(created ? 201 : 200).header('etag', `"${result.revision}"`);
  return body;
}

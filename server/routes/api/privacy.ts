import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { erasePersonalData, exportPersonalData } from '../../services/privacy.js';

const EmailQuery = Type.Object({ email: Type.String({ maxLength: 254 }) });
const EraseBody = Type.Object(
  { email: Type.String({ maxLength: 254 }), mode: Type.Union([Type.Literal('delete'), Type.Literal('anonymise')]) },
  { additionalProperties: false },
);

/** Administrators' token only: the personal-data tools (docs/api-people.md). */
export default async function privacyApi(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;
  const admin = app.requireApiRole('manage-users');

  // An export: it is written to the privacy log (without the address).
  app.get('/privacy', { schema: { querystring: EmailQuery }, preHandler: admin }, async (request) => exportPersonalData(db(), request.user!, request.query.email));

  app.post('/privacy/erase', { schema: { body: EraseBody }, preHandler: admin }, async (request) => {
    const result = await erasePersonalData(db(), request.user!, request.body.email, request.body.mode);
    return { erased: result.counts, remaining: result.remaining };
  });
}

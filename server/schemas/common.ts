import { Type, type Static } from '@sinclair/typebox';

/** Shared JSON-schema fragments; fastify validates them and TypeBox gives the types. */
export const PageQuery = Type.Object({
  page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
});
export type PageQuery = Static<typeof PageQuery>;

export const SlugParams = Type.Object({ slug: Type.String({ minLength: 1, maxLength: 200 }) });
export type SlugParams = Static<typeof SlugParams>;

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
export type IdParams = Static<typeof IdParams>;

export const ErrorEnvelope = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    fields: Type.Record(Type.String(), Type.String()),
  }),
});

import { Type, type Static } from '@sinclair/typebox';

/** A commenter's edit of their own comment; length and meaning are checked by services/own-comments.ts. */
export const OwnEditBody = Type.Object({ body: Type.String() }, { additionalProperties: false });
export type OwnEditBody = Static<typeof OwnEditBody>;

/** The edit token of docs/api-discussion.md, sent as a header. */
export const OwnHeaders = Type.Object({ 'x-comment-token': Type.Optional(Type.String({ maxLength: 200 })) });
export type OwnHeaders = Static<typeof OwnHeaders>;

import { Type, type Static } from '@sinclair/typebox';

const Status = Type.Union([Type.Literal('draft'), Type.Literal('published'), Type.Literal('scheduled')]);
const Kind = Type.Union([Type.Literal('post'), Type.Literal('page')]);
const Names = Type.Array(Type.String(), { maxItems: 50 });

/** Staff input; lengths and meaning are checked by the posts service, with field messages. */
const fields = {
  title: Type.String(),
  body: Type.String(),
  slug: Type.Optional(Type.String()),
  excerpt: Type.Optional(Type.String()),
  status: Status,
  published_at: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  tags: Type.Optional(Names),
  categories: Type.Optional(Names),
  comments_open: Type.Optional(Type.Boolean()),
  kind: Type.Optional(Kind),
  /** A question to patrons (issue 11, docs/api-questions.md). */
  is_question: Type.Optional(Type.Boolean()),
  /** docs/api-discussion.md: a mode, or null for the category default (the service names a wrong one). */
  discussion_mode: Type.Optional(Type.Union([Type.String({ maxLength: 32 }), Type.Null()])),
  /** An ISO date-time after which comments close; null for none. */
  comments_close_at: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
};

export const CreatePostBody = Type.Object(fields, { additionalProperties: false });
export type CreatePostBody = Static<typeof CreatePostBody>;

export const UpdatePostBody = Type.Partial(Type.Object(fields), { additionalProperties: false, minProperties: 1 });
export type UpdatePostBody = Static<typeof UpdatePostBody>;

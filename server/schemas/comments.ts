import { Type, type Static } from '@sinclair/typebox';

const Status = Type.Union([Type.Literal('approved'), Type.Literal('pending'), Type.Literal('rejected'), Type.Literal('spam')]);

/** Types only; lengths and meaning are checked by the comments service with field messages. */
export const NewCommentBody = Type.Object(
  {
    name: Type.Optional(Type.String()),
    email: Type.Optional(Type.String()),
    url: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    body: Type.String(),
    parent_id: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    /** Mail me about replies to my comments / about every new comment on this post (once approved). */
    notify_replies: Type.Optional(Type.Boolean()),
    notify_post: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type NewCommentBody = Static<typeof NewCommentBody>;

export const StatusBody = Type.Object({ status: Status }, { additionalProperties: false });
export type StatusBody = Static<typeof StatusBody>;

export const BulkBody = Type.Object(
  { ids: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 500 }), status: Status },
  { additionalProperties: false },
);
export type BulkBody = Static<typeof BulkBody>;

export const QueueQuery = Type.Object({
  status: Type.Optional(Status),
  page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
  post_id: Type.Optional(Type.Integer({ minimum: 1 })),
  q: Type.Optional(Type.String({ maxLength: 200 })),
});
export type QueueQuery = Static<typeof QueueQuery>;

import { Type, type Static } from '@sinclair/typebox';

/** Question posts and themes (issue 11); meaning and lengths are checked by the services. */

export const AnswerBody = Type.Object({ comment_id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
export type AnswerBody = Static<typeof AnswerBody>;

export const TagBody = Type.Object(
  {
    /** Theme names: a new one is created, an existing one (any case) reused. */
    themes: Type.Optional(Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 20 })),
    /** Existing themes of the post, by id. */
    theme_ids: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 20 })),
  },
  { additionalProperties: false },
);
export type TagBody = Static<typeof TagBody>;

export const CommentThemeParams = Type.Object({ id: Type.Integer({ minimum: 1 }), themeId: Type.Integer({ minimum: 1 }) });
export type CommentThemeParams = Static<typeof CommentThemeParams>;

/** GET /api/v1/posts: the public list, or (staff token) the questions awaiting a staff reply. */
export const PostsListQuery = Type.Object({
  page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
  awaiting_staff_reply: Type.Optional(Type.Integer({ minimum: 0, maximum: 1 })),
});
export type PostsListQuery = Static<typeof PostsListQuery>;

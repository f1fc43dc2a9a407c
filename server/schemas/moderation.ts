import { Type, type Static } from '@sinclair/typebox';

/** The moderation workspace API (docs/api-moderation.md). Types only; meaning is checked by the services with field messages. */

export const ClaimBody = Type.Union([Type.Object({ take_over: Type.Optional(Type.Boolean()) }, { additionalProperties: false }), Type.Null()]);
export type ClaimBody = Static<typeof ClaimBody>;

export const NoteBody = Type.Object({ body: Type.String() }, { additionalProperties: false });
export type NoteBody = Static<typeof NoteBody>;

export const UndoBody = Type.Union([Type.Object({ action_id: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false }), Type.Null()]);
export type UndoBody = Static<typeof UndoBody>;

const Words = Type.Array(Type.String(), { maxItems: 5000 });

export const DryRunBody = Type.Object(
  {
    moderation: Type.Optional(Type.String()),
    hold_links: Type.Optional(Type.Integer()),
    hold_words: Type.Optional(Words),
    block_words: Type.Optional(Words),
  },
  { additionalProperties: false },
);
export type DryRunBody = Static<typeof DryRunBody>;

export const BlockBody = Type.Object(
  {
    comment_id: Type.Optional(Type.Integer({ minimum: 1 })),
    email: Type.Optional(Type.String()),
    note: Type.Optional(Type.String()),
    hide_all: Type.Optional(Type.Boolean()),
    block_ip: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type BlockBody = Static<typeof BlockBody>;

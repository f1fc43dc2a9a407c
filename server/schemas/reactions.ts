import { Type, type Static } from '@sinclair/typebox';

/** Types only; the reports service checks the values and names the field it refuses. */
export const ReportBody = Type.Object(
  {
    /** One of spam, abusive, personal, off-topic, other; none is "other". */
    reason: Type.Optional(Type.Union([Type.String({ maxLength: 50 }), Type.Null()])),
    details: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  },
  { additionalProperties: false },
);
export type ReportBody = Static<typeof ReportBody>;

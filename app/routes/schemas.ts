/**
 * JSON Schemas shared by the routes (TypeBox: one definition gives validation, serialisation
 * and the handler's types). Bodies are closed (`additionalProperties: false`): an unknown field
 * is a 400 naming it, never silently dropped.
 */
import { type TSchema, Type } from 'typebox';

export const Id = Type.String({ pattern: '^[1-9][0-9]{0,17}$', description: 'a positive integer id' });
export const IdParams = Type.Object({ id: Id });
/**
 * RFC 3339, within what PostgreSQL's timestamptz holds: years 0001-9999 (there is no year 0) and
 * UTC offsets up to ±14:59 (real ones stop at +14:00; PostgreSQL refuses past ±15:59).
 */
export const DATE_TIME_PATTERN = '^(?!0000)\\d{4}-.*([Zz]|[+-](0\\d|1[0-4]):?[0-5]\\d)$';
export const DateTime = Type.String({ format: 'date-time', pattern: DATE_TIME_PATTERN });
export const NullableDateTime = Type.Union([DateTime, Type.Null()]);
export const Limit = (max: number, fallback: number) => Type.Integer({ minimum: 1, maximum: max, default: fallback });

export const ErrorBody = Type.Object({
  code: Type.String(),
  message: Type.String(),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

/** Response schemas for the error codes a route can answer with. */
export function errors(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorBody]));
}

export const ItemState = Type.Union([Type.Literal('draft'), Type.Literal('published'), Type.Literal('archived')]);

export const Project = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  version: Type.Integer(),
  createdAt: DateTime,
  updatedAt: DateTime,
});

export const ItemSummary = Type.Object({
  id: Type.String(),
  projectId: Type.String(),
  title: Type.String(),
  state: ItemState,
  createdAt: DateTime,
  updatedAt: DateTime,
  publishedAt: NullableDateTime,
  archivedAt: NullableDateTime,
});
/** The validators of a conditional write (routes/preconditions.ts), as text: the handler parses them and names what is wrong. */
export const Conditional = Type.Object({ 'if-match': Type.Optional(Type.String()), 'if-none-match': Type.Optional(Type.String()) });

export const Item = Type.Object({ ...ItemSummary.properties, body: Type.String(), version: Type.Integer() });

export const Comment = Type.Object({
  id: Type.String(),
  itemId: Type.String(),
  parentId: Type.Union([Type.String(), Type.Null()]),
  author: Type.String(),
  body: Type.String(),
  createdAt: DateTime,
});

export const Attachment = Type.Object({
  id: Type.String(),
  itemId: Type.String(),
  filename: Type.String(),
  contentType: Type.String(),
  sizeBytes: Type.Integer(),
  createdAt: DateTime,
});

export const Title = Type.String({ minLength: 1, maxLength: 200 });
export const Body = Type.String({ maxLength: 20_000 });

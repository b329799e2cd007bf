import { Type } from 'typebox';

export const PageQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$', description: 'next_cursor from the previous page' })),
});

/** Cursor pages over ascending ids: `id > cursor order by id limit n+1`. */
export function page<T extends { id: number }>(rows: T[], limit: number): { data: T[]; next_cursor: string | null } {
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  return { data, next_cursor: rows.length > limit && last ? String(last.id) : null };
}

/** A page of items; its example is a one-item page of the item's first example. */
export const pageOf = <S extends ReturnType<typeof Type.Object>>(item: S) => {
  const { examples } = item as { examples?: unknown };
  const example: unknown = Array.isArray(examples) ? examples[0] : undefined;
  return Type.Object(
    { data: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()]) },
    example === undefined ? {} : { examples: [{ data: [example], next_cursor: null }] },
  );
};

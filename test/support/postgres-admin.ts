// Creating and dropping the tests' PostgreSQL databases, through the server DATABASE_URL names.
import pg from 'pg';

/** Runs one statement (create or drop database...) on its own connection to `base`. */
export async function adminQuery(base: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** `base` with its database name replaced by `name`. */
export function databaseUrl(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

import type { FastifyInstance, HTTPMethods } from 'fastify';
import { sql } from 'kysely';
import type { TestApp } from '../helpers/app.js';

export interface RouteKey {
  method: string;
  /** As registered: "/posts/:slug/comments", "/static/*". */
  url: string;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * Every route of the app, read from the router itself (one radix tree per method, from
 * printRoutes), so a route added anywhere is found without anyone listing it. HEAD is
 * left out: fastify adds it for every GET. Each route found is checked back with
 * hasRoute, so a change in the printout's format fails loudly instead of hiding routes.
 */
export function collectRoutes(app: FastifyInstance): RouteKey[] {
  const out: RouteKey[] = [];
  for (const method of METHODS) {
    const tree = app.printRoutes({ method });
    const stack: { column: number; path: string }[] = [];
    for (const line of tree.split('\n')) {
      const marker = /[├└]── /.exec(line);
      if (!marker) continue;
      const column = marker.index;
      const rest = line.slice(column + 4).replace(/\s+$/, '');
      const parts = /^(.*?)(?: \(([A-Z, ]+)\))?$/.exec(rest)!;
      while (stack.length && stack.at(-1)!.column >= column) stack.pop();
      const path = (stack.at(-1)?.path ?? '') + parts[1]!;
      stack.push({ column, path });
      if (parts[2]?.split(', ').includes(method)) out.push({ method, url: path });
    }
  }
  for (const route of out) {
    if (route.url.includes('|')) route.url = registeredNames(app, route);
    if (!app.hasRoute({ method: route.method as HTTPMethods, url: route.url })) {
      throw new Error(`collectRoutes misread the router: ${route.method} ${route.url} is not a route`);
    }
  }
  return out;
}

/**
 * Where routes share a parameter position under different names (/category/:slug and
 * /category/:parent/:slug), the printout shows ":slug|:parent". findRoute, asked with
 * placeholder values, answers with the names the route was registered with, in order.
 */
function registeredNames(app: FastifyInstance, route: RouteKey): string {
  const first = route.url.replace(/(:\w+(?:\([^)]*\))?)(?:\|:\w+(?:\([^)]*\))?)+/g, '$1');
  const found = app.findRoute({ method: route.method as HTTPMethods, url: first });
  if (!found) throw new Error(`collectRoutes cannot resolve ${route.method} ${route.url}`);
  const names = Object.keys(found.params as Record<string, unknown>);
  let index = 0;
  return first.replace(/:(\w+)(\([^)]*\))?/g, (_m, _name: string, pattern: string | undefined) => `:${names[index++]}${pattern ?? ''}`);
}

export const routeName = (route: RouteKey) => `${route.method} ${route.url}`;

/** Every row of every table, to show a refused request changed nothing. */
export async function snapshotTables(t: TestApp, skip: string[] = ['login_attempts']): Promise<Record<string, unknown[]>> {
  // On PostgreSQL every test app has a schema of its own: only this one's tables.
  const schema = t.db.dialect === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(t.db.kysely)).rows[0]?.s : undefined;
  const tables = [
    ...new Set(
      (await t.db.kysely.introspection.getTables())
        .filter((table) => !table.isView && !skip.includes(table.name) && !table.name.startsWith('kysely_'))
        .filter((table) => schema === undefined || table.schema === schema)
        .map((table) => table.name),
    ),
  ].sort();
  const out: Record<string, unknown[]> = {};
  for (const name of tables) {
    // Search indexes are derived, and on SQLite their shadow tables are not plain rows.
    if (/_fts|search_index|^sqlite_/.test(name)) continue;
    out[name] = (await sql`select * from ${sql.table(name)}`.execute(t.db.kysely)).rows;
  }
  return out;
}

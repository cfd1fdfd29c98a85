// Run SPARQL query files against a SPARQL endpoint with Comunica (an independent SPARQL client).
// Usage: node sparql_comunica.mjs ENDPOINT_URL QUERY.rq [QUERY.rq …]
// Prints one JSON line per file: SELECT → a list of bindings {var: {termType, value, datatype?, language?}},
// ASK → a boolean. Exit 1 with the error on stderr when a query fails.
import fs from 'node:fs';
import { QueryEngine } from '@comunica/query-sparql';

function term(t) {
  const out = { termType: t.termType, value: t.value };
  if (t.termType === 'Literal') {
    if (t.language) out.language = t.language;
    else if (t.datatype) out.datatype = t.datatype.value;
  }
  return out;
}

const [endpoint, ...files] = process.argv.slice(2);
if (!endpoint || files.length === 0) {
  process.stderr.write('usage: node sparql_comunica.mjs ENDPOINT_URL QUERY.rq [QUERY.rq …]\n');
  process.exit(2);
}
const engine = new QueryEngine();
const context = { sources: [{ type: 'sparql', value: endpoint }], httpRetryCount: 0 };
try {
  for (const file of files) {
    const query = fs.readFileSync(file, 'utf8');
    const result = await engine.query(query, context);
    if (result.resultType === 'boolean') {
      process.stdout.write(JSON.stringify(await result.execute()) + '\n');
    } else if (result.resultType === 'bindings') {
      const bindings = await (await result.execute()).toArray();
      const rows = bindings.map((b) => Object.fromEntries([...b].map(([v, t]) => [v.value, term(t)])));
      process.stdout.write(JSON.stringify(rows) + '\n');
    } else {
      throw new Error(`${file}: only SELECT and ASK are compared, not ${result.resultType}`);
    }
  }
} catch (error) {
  process.stderr.write(`comunica: ${error.message}\n`);
  process.exit(1);
}

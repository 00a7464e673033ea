// The layers stay apart: sync/ and cli/ reach the stores through store/ (and git/, core/), never
// through the HTTP server; only `ccr serve` (cli/serve.ts) starts the server and imports it.

import t from 'tap';
import { importGraph } from './helpers/importGraph.js';

t.test('sync/ and cli/ import nothing of server/, except cli/serve.ts', async (t) => {
  const graph = importGraph('sync', 'cli');
  const crossing = [...graph].flatMap(([file, imports]) =>
    file === 'cli/serve.ts' ? [] : imports.filter((i) => i.startsWith('server/')).map((i) => `${file} → ${i}`),
  );
  t.same(crossing, []);
});

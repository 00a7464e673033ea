// `ccr export fhir`: the record, or one thread, as a FHIR R4 Bundle (SPEC 11).

import { writeFileSync } from 'node:fs';
import { recordToBundle, threadToBundle, toTransactionBundle } from '../core/fhir.js';
import { CoordinationService } from '../service/CoordinationService.js';
import { out, UsageError, type Command } from './args.js';
import { workingCopyDir } from './workingCopy.js';

export const exportCommand: Command = {
  help: `ccr export fhir [--thread <thread-id>] [--transaction] [--out FILE]

Write a FHIR R4 Bundle of Communications: per thread a header Communication and one per message,
corrections linked. A collection by default; --transaction gives conditional creates on
identifier, ready to POST to a FHIR server. Archived threads are included.

Example:
  ccr export fhir --transaction --out record.json`,
  options: { thread: { type: 'string' }, transaction: { type: 'boolean' }, out: { type: 'string' } },
  async run(v, [format]) {
    if (format !== 'fhir') throw new UsageError('use: ccr export fhir …');
    const { dir } = await workingCopyDir();
    const svc = await CoordinationService.at(dir);
    const status = await svc.readStatus();
    const ids = v['thread']
      ? [v['thread'] as string]
      : (await svc.listThreads({ includeArchived: true })).map((t) => t.id);
    const threads = [];
    for (const id of ids) threads.push(await svc.readThread(id));
    const base = { recordId: status.coordination_id, clinicalId: status.clinical_id };
    const collection = v['thread']
      ? threadToBundle({ ...base, thread: threads[0]! })
      : recordToBundle({ ...base, threads });
    const bundle = v['transaction'] ? toTransactionBundle(collection) : collection;
    const text = JSON.stringify(bundle, null, 2) + '\n';
    if (typeof v['out'] === 'string') {
      writeFileSync(v['out'], text);
      out(
        v['json'] === true,
        { file: v['out'], entries: bundle.entry?.length ?? 0, type: bundle.type },
        `wrote a ${bundle.type} bundle of ${bundle.entry?.length ?? 0} Communications to ${v['out']}`,
      );
    } else process.stdout.write(text);
    return 0;
  },
};

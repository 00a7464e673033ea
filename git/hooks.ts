// Where the project's git hooks are: the thin pre-receive client every record runs through
// core.hooksPath. Its own module so that the server, `ccr sync` and `ccr doctor` name one folder
// without the commands importing the server (this file sits at the depth server/startup.ts did:
// two levels below the project root once compiled, in dist/git/ or dist/bundle/).

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's hooks folder (core.hooksPath of every record). */
export const HOOKS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'hooks');

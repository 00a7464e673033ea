// isomorphic-git inflates each packed object it reads with pako, a zlib written in JavaScript:
// slower than Node's own (a cold read of a thread's versions from a pack took about 0.73× the time
// with Node's; bench/packRead.ts), and its large functions are compiled again by V8's optimiser in
// every thread that reads packs. isomorphic-git calls `pako.inflate(data)` through pako's module
// object at each read, so this sets that one function, once, to Node's zlib: the same bytes out,
// trailing bytes after the stream ignored as pako does (a pack's next objects), a corrupt stream
// still an error. A call with options or other input than bytes, which isomorphic-git does not
// make, keeps pako's own.

import pako from 'pako';
import { inflateSync } from './zlib.js';

const pakoInflate = pako.inflate;

/** Node's zlib for pako's `inflate(bytes)`; with options or other input, pako's own. */
function inflate(data: pako.Data, options?: pako.InflateOptions): Uint8Array {
  if (options !== undefined || !(data instanceof Uint8Array)) return pakoInflate(data, options);
  return inflateSync(data);
}

// isomorphic-git and this module share pako's one module object (npm keeps one copy: package.json
// asks for the range isomorphic-git does).
(pako as { inflate: typeof inflate }).inflate = inflate;

/** The two inflates, for the tests and the benchmark that compare them. */
export const inflates = { pako: pakoInflate, node: inflate };

// Strict YAML reading (SPEC 5): the core schema only, exactly one document, no directives, tags,
// anchors or aliases, no duplicate keys, every key a plain string. The result is plain data with
// own properties only (`__proto__` stays a key, to be refused by the schema).

import { isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments, parseDocument, Parser, type Node } from 'yaml';
import { problem, type ReaderProblem } from './problems.js';
import { describeSchemaErrors } from './schemaErrors.js';
import { FORBIDDEN_CHARS, decodeUtf8, describeChar, lineAt, scanText } from './text.js';

/** A problem found while reading: what was expected, and the 1-based line. */
export interface YamlProblem {
  line?: number;
  message: string;
}

/** The value read, or the problems that kept it from being read. */
export type YamlResult = { ok: true; value: unknown } | { ok: false; problems: YamlProblem[] };

/** Where a node starts, for a problem found there (counted only then: most files have none). */
function where(text: string, node: Node | null | undefined): { line?: number } {
  const offset = node?.range?.[0];
  return offset === undefined ? {} : { line: lineAt(text, offset) };
}

/** Convert a checked node to plain data; collect problems for anything outside the strict subset. */
function toData(node: Node | null, text: string, problems: YamlProblem[]): unknown {
  if (node === null) return null;
  if (isAlias(node)) {
    problems.push({ ...where(text, node), message: 'expected no aliases (`*name`)' });
    return null;
  }
  if (node.anchor) problems.push({ ...where(text, node), message: `expected no anchors, found \`&${node.anchor}\`` });
  if (node.tag) problems.push({ ...where(text, node), message: `expected no tags, found \`${node.tag}\`` });
  if (isScalar(node)) return node.value;
  if (isSeq(node)) return node.items.map((item) => toData(item as Node | null, text, problems));
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = pair.key as Node | null;
      if (!isScalar(key) || typeof key.value !== 'string' || key.tag || key.anchor) {
        problems.push({
          ...where(text, key),
          message: `expected every key to be a string, found ${isScalar(key) ? JSON.stringify(key.value) : 'a complex key'}`,
        });
        continue;
      }
      if (seen.has(key.value)) {
        problems.push({ ...where(text, key), message: `expected each key once, found \`${key.value}\` again` });
        continue;
      }
      seen.add(key.value);
      Object.defineProperty(out, key.value, {
        value: toData(pair.value as Node | null, text, problems),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  problems.push({ ...where(text, node), message: 'expected a scalar, a sequence or a mapping' });
  return null;
}

/** Read YAML text strictly (one parse). Never throws on content. */
export function readStrictYaml(text: string): YamlResult {
  const problems: YamlProblem[] = [];
  const parsed = parseAllDocuments(text, {
    schema: 'core',
    version: '1.2',
    merge: false,
    uniqueKeys: false,
    prettyErrors: false,
    strict: true,
  });
  const docs = Array.isArray(parsed) ? parsed : [];
  if (docs.length !== 1)
    return { ok: false, problems: [{ message: `expected exactly one YAML document, found ${docs.length}` }] };
  const doc = docs[0]!;
  // A directive after the last document (`...` then `%YAML 1.1`) belongs to no document and the
  // library drops it silently; the token stream still shows it. Only text with a line starting
  // with `%` can hold one, so the second pass is skipped for every ordinary file.
  if (/^%/m.test(text)) {
    for (const token of new Parser().parse(text)) {
      if (token.type === 'directive')
        problems.push({
          line: lineAt(text, token.offset),
          message: `expected no directives, found \`${token.source.trim()}\``,
        });
    }
    if (problems.length > 0) return { ok: false, problems };
  }
  const tags = Object.entries(doc.directives?.tags ?? {}).filter(
    ([handle, prefix]) => !(handle === '!!' && prefix === 'tag:yaml.org,2002:'),
  );
  if (doc.directives?.yaml.explicit) problems.push({ line: 1, message: 'expected no directives, found `%YAML`' });
  for (const [handle] of tags) problems.push({ line: 1, message: `expected no directives, found \`%TAG ${handle}\`` });
  for (const e of [...doc.errors, ...doc.warnings]) {
    problems.push({ line: lineAt(text, e.pos[0]), message: `expected valid YAML: ${e.message.split('\n')[0]}` });
  }
  if (problems.length > 0) return { ok: false, problems };
  const value = toData(doc.contents as Node | null, text, problems);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value };
}

const PLAIN_SAFE = /^[\p{L}\p{N}][\p{L}\p{N} ._\-()/',+@:]*$/u;

/** Plain scalars a YAML 1.1 reader (other clients) would take for a boolean, date or number. */
const YAML11_SPECIAL = /^(?:y|yes|n|no|on|off)$|^\d{4}-\d\d?-\d\d?|^[-+]?[\d_]+(?::[0-5]?\d)+(?:\.\d*)?$/i;

/**
 * A string scalar written plain where the core schema reads it back as that string (and no
 * YAML 1.1 reader would take it for something else), else double-quoted.
 */
export function yamlString(value: string): string {
  const plain =
    PLAIN_SAFE.test(value) &&
    !YAML11_SPECIAL.test(value) &&
    !/[ :]$/.test(value) &&
    !value.includes(' #') &&
    !value.includes(': ');
  if (plain) {
    const back = parseDocument(`${value}\n`, { schema: 'core', version: '1.2' });
    if (back.errors.length === 0 && back.contents && isScalar(back.contents) && back.contents.value === value)
      return value;
  }
  // A JSON string is a valid YAML double-quoted scalar. C1 controls are escaped too: a YAML 1.1
  // reader takes a raw NEL (U+0085) for a line break and folds it to a space.
  return JSON.stringify(value).replace(
    /[\u0080-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * The first forbidden character in a string of a value as read, or null. The text's own characters
 * are scanned before it is read; an escape in a double-quoted string (`"\u202e"`) is only seen
 * here, after YAML has decoded it.
 */
function forbiddenInValue(value: unknown): string | null {
  if (typeof value === 'string') return FORBIDDEN_CHARS.exec(value)?.[0] ?? null;
  if (value === null || typeof value !== 'object') return null;
  for (const [k, v] of Object.entries(value)) {
    const found = forbiddenInValue(k) ?? forbiddenInValue(v);
    if (found) return found;
  }
  return null;
}

/** A value read from a YAML file of a record, or the problems that kept it from being read (as data). */
export type ReadResult<T> = { ok: true; value: T } | { ok: false; problems: ReaderProblem[] };

/** Read a YAML file strictly and validate it with a schema; shared by ledger and status. */
export function readYamlFile<T>(
  bytes: Uint8Array,
  path: string | undefined,
  spec: {
    maxBytes: number;
    file: 'ledger' | 'status';
    validate: ((v: unknown) => v is T) & { errors?: Parameters<typeof describeSchemaErrors>[0] };
  },
): ReadResult<T> {
  const where = path ? { path } : {};
  const bad = (kind: 'format' | 'schema', message: string, at: { line?: number } = {}) =>
    problem(spec.file, kind, message, { ...where, ...at });
  if (bytes.length > spec.maxBytes)
    return {
      ok: false,
      problems: [problem('blob', 'too-large', `expected at most ${spec.maxBytes} bytes, found ${bytes.length}`, where)],
    };
  const text = decodeUtf8(bytes);
  if (text === null) return { ok: false, problems: [bad('format', 'expected UTF-8, found invalid byte sequences')] };
  const chars = scanText(text, { maxLine: 10_000 });
  if (chars.length > 0) return { ok: false, problems: chars.map((p) => bad('format', p.message, { line: p.line })) };
  const read = readStrictYaml(text);
  if (!read.ok)
    return {
      ok: false,
      problems: read.problems.map((p) => bad('format', p.message, p.line !== undefined ? { line: p.line } : {})),
    };
  const hidden = forbiddenInValue(read.value);
  if (hidden) {
    const message =
      `expected no forbidden character, found ${describeChar(hidden)} ` + '(written as an escape in a quoted string)';
    return { ok: false, problems: [bad('format', message)] };
  }
  if (!spec.validate(read.value)) {
    return { ok: false, problems: describeSchemaErrors(spec.validate.errors).map((m) => bad('schema', m)) };
  }
  return { ok: true, value: read.value };
}

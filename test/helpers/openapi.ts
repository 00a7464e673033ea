// Checking the server's real answers against its OpenAPI document with ajv (JSON Schema 2020-12,
// the dialect of OpenAPI 3.1): the document is added whole, so its `#/components/...` references
// resolve, and each answer is validated against the schema of its path, method and status.

import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../../server/openapi/index.js';

const BASE = 'https://ccr.invalid/openapi.json';

/** Pointer escaping of one segment (RFC 6901), then URI escaping. */
function seg(s: string): string {
  return encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'));
}

/** A checker of answers against the document. */
export function answerChecker(): {
  doc: any;
  check(method: string, template: string, status: number, body: unknown): string[];
} {
  const doc: any = openApiDocument('http://127.0.0.1');
  const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, allErrors: true });
  (addFormats as unknown as (a: unknown) => void)(ajv);
  ajv.addSchema({ ...doc, $id: BASE });
  return {
    doc,
    check(method, template, status, body) {
      const op = doc.paths[template]?.[method.toLowerCase()];
      if (!op) return [`no operation ${method} ${template} in the document`];
      let response = op.responses[String(status)];
      if (!response) return [`no response ${status} for ${method} ${template} in the document`];
      let pointer = `#/paths/${seg(template)}/${method.toLowerCase()}/responses/${status}`;
      if (response.$ref) {
        pointer = response.$ref as string;
        response = doc.components.responses[(response.$ref as string).split('/').pop()!];
      }
      const media = response.content?.['application/json'];
      if (!media)
        return body === null || body === undefined || typeof body === 'string' ? [] : [`no JSON body for ${status}`];
      const validate = ajv.getSchema(`${BASE}${pointer}/content/${seg('application/json')}/schema`);
      if (!validate) return [`no schema at ${pointer}`];
      return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
    },
  };
}

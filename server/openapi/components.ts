// The shared parts of the OpenAPI document: security schemes, error answers and the schemas of
// what the JSON API reads and answers (the tests check the server's real answers against them).

import { errorStatuses, ref } from './types.js';

const uuid = {
  type: 'string',
  format: 'uuid',
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
};
const oid = { type: 'string', pattern: '^[0-9a-f]{40}$', description: 'a git commit id' };
const time = { type: 'string', format: 'date-time' };
const nullable = (schema: Record<string, unknown>) => ({ oneOf: [schema, { type: 'null' }] });

/** The fields of ledger.yaml (SPEC 5), shared by a thread's ledger and its summary. */
const ledgerRequired = ['thread_id', 'status', 'created_at', 'last_updated_at', 'participants', 'visibility'];
const ledgerProperties = {
  thread_id: ref('ThreadId'),
  status: ref('ThreadStatus'),
  created_at: time,
  last_updated_at: time,
  participants: { type: 'array', items: ref('Participant') },
  visibility: ref('Visibility'),
  policies: ref('Policies'),
};

const schemas: Record<string, unknown> = {
  Error: {
    type: 'object',
    required: ['error'],
    additionalProperties: false,
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        additionalProperties: false,
        properties: {
          code: { type: 'string', description: 'the stable error code (SPEC 9), e.g. RuleViolation' },
          message: { type: 'string', description: 'what was expected and what was found; never a stack' },
          request: { type: 'string', description: 'the request id the server log holds (internal errors)' },
          findings: {
            type: 'array',
            description: 'for a RuleViolation: the rules a push of the same change would have met',
            items: {
              type: 'object',
              required: ['rule', 'message'],
              additionalProperties: false,
              properties: {
                rule: { type: 'string', pattern: '^ccr/[a-z-]+$' },
                message: { type: 'string' },
                path: { type: 'string' },
              },
            },
          },
        },
      },
    },
  },
  RecordId: uuid,
  ThreadId: {
    type: 'string',
    pattern: '^[0-9]{8}T[0-9]{6}\\.[0-9]{3}Z-[0-9a-f-]{36}$',
    description: 'the thread folder name: creation time and a UUID',
  },
  Participant: {
    type: 'object',
    required: ['participant_id', 'role', 'display_name'],
    additionalProperties: false,
    properties: {
      participant_id: uuid,
      role: { enum: ['clinician', 'careadministrator', 'patient', 'patientassociate', 'system'] },
      display_name: { type: 'string', minLength: 1, maxLength: 200 },
    },
  },
  Visibility: {
    type: 'object',
    required: ['sensitivity', 'restricted'],
    additionalProperties: false,
    properties: { sensitivity: { enum: ['standard', 'confidential', 'restricted'] }, restricted: { type: 'boolean' } },
  },
  Policies: {
    type: 'object',
    required: ['allow_patient_participation', 'allow_external_organisations'],
    additionalProperties: false,
    properties: { allow_patient_participation: { type: 'boolean' }, allow_external_organisations: { type: 'boolean' } },
  },
  ThreadStatus: { enum: ['open', 'closed', 'archived'] },
  Ledger: {
    type: 'object',
    additionalProperties: false,
    required: [...ledgerRequired, 'policies'],
    properties: ledgerProperties,
  },
  /** A thread as listed: its ledger's fields (policies optional) and how many messages it holds. */
  ThreadSummary: {
    type: 'object',
    additionalProperties: false,
    required: [...ledgerRequired, 'message_count'],
    properties: { ...ledgerProperties, message_count: { type: 'integer', minimum: 0 } },
  },
  Message: {
    type: 'object',
    additionalProperties: false,
    required: ['message_id', 'type', 'timestamp', 'author_id', 'author_name', 'body'],
    properties: {
      message_id: uuid,
      type: { enum: ['clinician', 'careadministrator', 'patient', 'patientassociate', 'system', 'correction'] },
      timestamp: time,
      author_id: uuid,
      author_name: { type: 'string' },
      body: { type: 'string', description: 'the body as stored (markdown, never rendered by the server for the API)' },
      corrects: { ...uuid, description: 'for a correction: the message it corrects' },
    },
  },
  Thread: {
    type: 'object',
    additionalProperties: false,
    required: ['coordination_id', 'thread_id', 'head', 'ledger', 'messages'],
    properties: {
      coordination_id: uuid,
      thread_id: ref('ThreadId'),
      head: oid,
      ledger: ref('Ledger'),
      messages: { type: 'array', items: ref('Message') },
    },
  },
  ThreadList: {
    type: 'object',
    additionalProperties: false,
    required: ['coordination_id', 'head', 'threads'],
    properties: { coordination_id: uuid, head: oid, threads: { type: 'array', items: ref('ThreadSummary') } },
  },
  NewThread: {
    type: 'object',
    additionalProperties: false,
    required: ['participants'],
    properties: {
      participants: { type: 'array', minItems: 1, items: ref('Participant') },
      message: {
        type: 'object',
        additionalProperties: false,
        required: ['body'],
        properties: { body: { type: 'string' }, author_id: { ...uuid, description: 'integration principals only' } },
      },
      care_location: { type: 'string', description: 'the Care-Location trailer (default: that of the last commit)' },
    },
  },
  NewMessage: {
    type: 'object',
    additionalProperties: false,
    required: ['body'],
    properties: {
      body: { type: 'string' },
      corrects: uuid,
      author_id: { ...uuid, description: 'the participant an integration principal writes for; others leave it out' },
      care_location: { type: 'string' },
    },
  },
  ThreadUpdate: {
    type: 'object',
    additionalProperties: false,
    properties: {
      participants: {
        type: 'object',
        additionalProperties: false,
        properties: { add: { type: 'array', items: ref('Participant') }, remove: { type: 'array', items: uuid } },
      },
      status: ref('ThreadStatus'),
      visibility: {
        type: 'object',
        additionalProperties: false,
        properties: {
          sensitivity: { enum: ['standard', 'confidential', 'restricted'] },
          restricted: { type: 'boolean' },
        },
      },
      policies: {
        type: 'object',
        additionalProperties: false,
        properties: {
          allow_patient_participation: { type: 'boolean' },
          allow_external_organisations: { type: 'boolean' },
        },
      },
      author_id: uuid,
      care_location: { type: 'string' },
    },
  },
  ThreadCreated: {
    type: 'object',
    additionalProperties: false,
    required: ['thread_id', 'commit'],
    properties: { thread_id: ref('ThreadId'), commit: oid },
  },
  MessageCreated: {
    type: 'object',
    additionalProperties: false,
    required: ['message_id', 'commit'],
    properties: { message_id: uuid, commit: oid },
  },
  NewRecord: {
    type: 'object',
    required: ['clinical_id', 'care_location'],
    properties: {
      clinical_id: uuid,
      care_location: { type: 'string' },
      coordination_id: uuid,
      thread: {
        type: 'object',
        required: ['participants'],
        properties: {
          participants: { type: 'array', items: ref('Participant') },
          message: {
            type: 'object',
            required: ['author_id', 'body'],
            properties: { author_id: uuid, body: { type: 'string' } },
          },
        },
      },
      root: {
        type: 'object',
        required: ['name', 'email', 'time'],
        properties: { name: { type: 'string' }, email: { type: 'string' }, time: { type: 'integer' }, commit: oid },
      },
    },
  },
  RecordCreated: {
    type: 'object',
    additionalProperties: false,
    required: ['coordination_id', 'clone_url'],
    properties: { coordination_id: uuid, clone_url: { type: 'string' }, thread_id: ref('ThreadId') },
  },
  RecordList: {
    type: 'object',
    additionalProperties: false,
    required: ['records'],
    properties: { records: { type: 'array', items: uuid }, next: uuid },
  },
  RecordSummary: {
    type: 'object',
    additionalProperties: false,
    required: ['coordination_id', 'head', 'status', 'threads'],
    properties: {
      coordination_id: uuid,
      head: oid,
      status: { type: 'object', description: 'COORDINATION_STATUS.yaml as JSON (SPEC 6)' },
      threads: { type: 'array', items: ref('ThreadSummary') },
    },
  },
  NewPrincipal: {
    type: 'object',
    required: ['name', 'kind'],
    properties: {
      name: { type: 'string' },
      kind: { enum: ['admin', 'auditor', 'site', 'integration', 'participant'] },
      participant_id: uuid,
      role: { type: 'string' },
      display_name: { type: 'string' },
    },
  },
  PrincipalCreated: {
    type: 'object',
    required: ['name', 'kind', 'token'],
    properties: {
      name: { type: 'string' },
      kind: { type: 'string' },
      token: { type: 'string', description: 'shown only here' },
    },
  },
  Principal: {
    type: 'object',
    required: ['name', 'kind', 'created_at'],
    properties: {
      name: { type: 'string' },
      kind: { type: 'string' },
      created_at: time,
      participant_id: uuid,
      role: { type: 'string' },
      display_name: { type: 'string' },
    },
  },
  PrincipalList: {
    type: 'object',
    required: ['principals'],
    properties: { principals: { type: 'array', items: ref('Principal') } },
  },
  NewToken: { type: 'object', properties: { label: { type: 'string' }, expires_at: time } },
  TokenCreated: {
    type: 'object',
    required: ['id', 'token', 'expires_at'],
    properties: {
      id: { type: 'string' },
      token: { type: 'string', description: 'shown only here' },
      expires_at: nullable(time),
    },
  },
  TokenList: {
    type: 'object',
    required: ['tokens'],
    properties: {
      tokens: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id', 'created_at', 'legacy'],
          properties: {
            id: { type: 'string' },
            label: nullable({ type: 'string' }),
            created_at: time,
            expires_at: nullable(time),
            last_used_at: nullable(time),
            legacy: { type: 'boolean' },
          },
        },
      },
    },
  },
  NewKey: {
    type: 'object',
    required: ['public_key'],
    properties: {
      public_key: { type: 'string', description: 'an OpenSSH public key line' },
      valid_after: time,
      valid_before: time,
      proof: {
        type: 'string',
        description:
          'required when a principal registers a key for itself: the armoured SSHSIG by this key over "ccr key registration: <name>\\n" in namespace ccr-key-registration (ssh-keygen -Y sign)',
      },
    },
  },
  Key: {
    type: 'object',
    required: ['id', 'principal', 'public_key', 'fingerprint'],
    properties: {
      id: { type: 'string' },
      principal: { type: 'string' },
      public_key: { type: 'string' },
      fingerprint: { type: 'string' },
      comment: nullable({ type: 'string' }),
      valid_after: nullable(time),
      valid_before: nullable(time),
      created_at: time,
      revoked_at: nullable(time),
    },
  },
  KeyList: { type: 'object', required: ['keys'], properties: { keys: { type: 'array', items: ref('Key') } } },
};

/** The `components` of the document. */
export const components = {
  securitySchemes: {
    basic: { type: 'http', scheme: 'basic', description: 'principal name and token (as user name and password)' },
    bearer: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'a sign-on JWT of the configured OpenID Connect issuer',
    },
  },
  schemas,
  responses: Object.fromEntries(
    Object.entries(errorStatuses).map(([status, description]) => [
      `E${status}`,
      { description, content: { 'application/json': { schema: ref('Error') } } },
    ]),
  ),
  parameters: {
    IdempotencyKey: {
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description:
        'Retrying with the same key (same principal) returns the first answer and writes nothing twice, ' +
        'for 24 hours and across restarts; the same key with another request is 422 IdempotencyKeyReused.',
      schema: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$' },
    },
  },
};

// Message bodies as HTML for the web view (server/web/body.ts): ordinary markdown renders, and
// hostile markdown comes out as text or safe links, never as markup that runs, loads or hides.

import fc from 'fast-check';
import type { ElementContent } from 'hast';
import { toHtml } from 'hast-util-to-html';
import t from 'tap';
import { renderBody as renderMessageBody } from '../../core/messages/body.js';
import { parseMessages, renderMessages } from '../../core/messages/grammar.js';
import type { MessageId, ParticipantId, Timestamp } from '../../core/ids.js';
import * as body from '../../server/web/body.js';
import { bodySchema, elementsOf, isSafeUrl, linkRel, renderBody } from '../../server/web/body.js';

const runs = Number(process.env['CCR_FUZZ_RUNS'] ?? 200);
const html = (nodes: ElementContent[]) => toHtml({ type: 'root', children: nodes });
const show = (markdown: string) => html(renderBody(markdown));

/** Every way an element of a rendered body breaks the schema or the link rule, as sentences. */
function problems(nodes: ElementContent[]): string[] {
  const out: string[] = [];
  const allowed: Record<string, string[]> = { a: ['href', 'rel'], ol: ['start'] };
  for (const el of elementsOf(nodes)) {
    if (!bodySchema.tagNames?.includes(el.tagName)) out.push(`element <${el.tagName}>`);
    for (const key of Object.keys(el.properties)) {
      if (!(allowed[el.tagName] ?? []).includes(key)) out.push(`attribute ${key} on <${el.tagName}>`);
    }
    if (el.tagName === 'a') {
      const href = el.properties['href'];
      if (typeof href !== 'string' || !isSafeUrl(href)) out.push(`link to ${String(href)}`);
      const rel = el.properties['rel'];
      if (JSON.stringify(rel) !== JSON.stringify(linkRel)) out.push(`link rel ${String(rel)}`);
    }
  }
  return out;
}

t.test('the module gives the renderer, its schema and its link rule', async (t) => {
  t.same(Object.keys(body).sort(), ['bodySchema', 'elementsOf', 'isSafeUrl', 'linkProtocols', 'linkRel', 'renderBody']);
  t.same(body.linkProtocols, ['http', 'https', 'mailto']);
  t.same(linkRel, ['noopener', 'noreferrer', 'nofollow']);
});

t.test('renders ordinary markdown: paragraphs, line breaks, emphasis, lists, quotes, code', async (t) => {
  t.equal(
    show('Patient reports *shortness* of **breath**.\nSee below.'),
    '<p>Patient reports <em>shortness</em> of <strong>breath</strong>.\nSee below.</p>',
  );
  t.equal(
    show('- one\n- two\n\n3. three\n4. four'),
    '<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n<ol start="3">\n<li>three</li>\n<li>four</li>\n</ol>',
  );
  t.equal(show('> quoted `x < y`'), '<blockquote>\n<p>quoted <code>x &#x3C; y</code></p>\n</blockquote>');
  t.equal(
    show('```js\nlet a = "<b>";\n```'),
    '<pre><code>let a = "&#x3C;b>";\n</code></pre>',
    'no class: nothing to highlight with',
  );
  t.equal(show('line  \nbreak'), '<p>line<br>\nbreak</p>');
});

t.test('a body heading sits under the message heading (h3): at h4 or deeper', async (t) => {
  t.equal(show('### Plan\n\n#### Step\n\n###### Detail'), '<h4>Plan</h4>\n<h5>Step</h5>\n<h6>Detail</h6>');
  t.equal(show('# Top'), '<h4>Top</h4>', 'depths 1–2 never reach main, and would not jump above the message');
});

t.test('links show where they go and carry rel="noopener noreferrer nofollow"', async (t) => {
  t.equal(
    show('[results](https://results.example.org/a?b=1)'),
    '<p><a href="https://results.example.org/a?b=1" rel="noopener noreferrer nofollow">results</a> ' +
      '(results.example.org)</p>',
  );
  t.equal(
    show('<https://nhs.example.uk>'),
    '<p><a href="https://nhs.example.uk" rel="noopener noreferrer nofollow">https://nhs.example.uk</a></p>',
    'no host twice',
  );
  t.equal(
    show('[https://nhs.example.uk](https://evil.example)'),
    '<p><a href="https://evil.example" rel="noopener noreferrer nofollow">https://nhs.example.uk</a> ' +
      '(evil.example)</p>',
    'a link that names another address says where it really goes',
  );
  t.equal(
    show('[write](mailto:ward7@example.org)'),
    '<p><a href="mailto:ward7@example.org" rel="noopener noreferrer nofollow">write</a> (ward7@example.org)</p>',
  );
  t.match(
    show('[shop](https://xn--80ak6aa92e.example/)'),
    /\(xn--80ak6aa92e\.example\)/,
    'an IDN host shows as punycode',
  );
});

/** Hostile bodies: what a reader must see, and what must not be in the HTML. */
const hostile: Array<{ name: string; body: string; shows: string[] }> = [
  { name: 'a script element', body: '<script>alert(1)</script>', shows: ['&#x3C;script>alert(1)&#x3C;/script>'] },
  {
    name: 'inline HTML with an event handler',
    body: 'see <b onclick="steal()">this</b>',
    shows: ['&#x3C;b onclick="steal()">this&#x3C;/b>'],
  },
  {
    name: 'an image with onerror',
    body: '<img src=x onerror="alert(1)">',
    shows: ['&#x3C;img src=x onerror="alert(1)">'],
  },
  {
    name: 'an SVG with onload',
    body: '<svg onload="alert(1)"><circle r="9"/></svg>',
    shows: ['&#x3C;svg onload="alert(1)">'],
  },
  {
    name: 'a form',
    body: '<form action="https://evil.example/"><input name="nhs"><button>Send</button></form>',
    shows: ['&#x3C;form action='],
  },
  { name: 'an iframe', body: '<iframe src="https://evil.example/"></iframe>', shows: ['&#x3C;iframe src='] },
  {
    name: 'a style element',
    body: '<style>body{display:none}</style>',
    shows: ['&#x3C;style>body{display:none}&#x3C;/style>'],
  },
  {
    name: 'an HTML comment hiding text',
    body: 'visible <!-- hidden instruction -->',
    shows: ['&#x3C;!-- hidden instruction -->'],
  },
  {
    name: 'entities spelling markup',
    body: '&lt;script&gt;alert(1)&lt;/script&gt; &#60;img src=x&#62;',
    shows: ['&#x3C;script>alert(1)&#x3C;/script>', '&#x3C;img src=x>'],
  },
  { name: 'a javascript: link', body: '[click me](javascript:alert(1))', shows: ['<p>click me</p>'] },
  { name: 'a javascript: autolink', body: '<javascript:alert(1)>', shows: ['javascript:alert(1)'] },
  { name: 'a javascript: link in capitals', body: '[x](JAVASCRIPT:alert(1))', shows: ['<p>x</p>'] },
  {
    name: 'a javascript: link hidden by entities',
    body: '[x](java&#x09;script:alert(1)) [y](&#106;avascript:alert(1))',
    shows: ['<p>x y</p>'],
  },
  { name: 'a vbscript: link', body: '[x](vbscript:msgbox)', shows: ['<p>x</p>'] },
  {
    name: 'a data: URL link',
    body: '[open](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
    shows: ['<p>open</p>'],
  },
  { name: 'a file: link', body: '[notes](file:///etc/passwd)', shows: ['<p>notes</p>'] },
  {
    name: 'a relative link into the server',
    body: '[principals](/api/principals) [up](../x)',
    shows: ['<p>principals up</p>'],
  },
  { name: 'a protocol-relative link', body: '[x](//evil.example/x)', shows: ['<p>x</p>'] },
  {
    name: 'a remote image (a tracking pixel)',
    body: '![scan](https://evil.example/pixel.gif)',
    shows: ['>image: scan</a> (evil.example)'],
  },
  { name: 'a data: image', body: '![chart](data:image/png;base64,iVBORw0KGgo=)', shows: ['<p>[image: chart]</p>'] },
  {
    name: 'an image without alt text',
    body: '![](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)',
    shows: ['[image: no description]'],
  },
  {
    name: 'an image through a reference',
    body: '![x-ray][x]\n\n[x]: https://evil.example/x.png',
    shows: ['<p>[image: x-ray]</p>'],
  },
  { name: 'a link reference to javascript:', body: '[x]\n\n[x]: javascript:alert(1)', shows: ['<p>x</p>'] },
];

t.test('hostile markdown shows as text or as a safe link, never as markup', async (t) => {
  for (const c of hostile) {
    const nodes = renderBody(c.body);
    const out = html(nodes);
    t.same(problems(nodes), [], `${c.name}: only allowed elements, attributes and links`);
    for (const s of c.shows) t.ok(out.includes(s), `${c.name}: shows ${JSON.stringify(s)} (got ${out})`);
    t.notMatch(out, /<(script|img|svg|form|iframe|style|input|button|object|embed)\b/i, `${c.name}: no such element`);
    t.notMatch(out, /<[a-z][^>]*\son\w+=/i, `${c.name}: no event handler attribute`);
    t.notMatch(out, /href="(?!https?:|mailto:)/i, `${c.name}: no link but http(s) and mailto`);
  }
});

t.test('bodies written by the service (raw HTML escaped) render what the writer typed', async (t) => {
  for (const c of hostile) {
    let written: string;
    try {
      written = renderMessageBody(c.body);
    } catch (e) {
      // The writer refuses some outright (an image with no alt text shows nothing): nothing to render.
      t.match(e, { findings: [{ rule: /^ccr\// }] }, `${c.name}: refused by the writer`);
      continue;
    }
    // The body as it stands in a messages.md the validator accepts.
    const file = renderMessages([
      {
        id: '3f7a8d2c-1e9b-4a6d-9f2e-5c8b7a4d1f92' as MessageId,
        type: 'clinician',
        timestamp: '2026-01-11T14:36:15.234Z' as Timestamp,
        authorId: '4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12' as ParticipantId,
        author: 'Dr Jane Smith',
        body: written,
      },
    ]);
    const parsed = parseMessages(file).messages[0];
    t.ok(parsed, `${c.name}: the file parses`);
    const nodes = renderBody(parsed!.body);
    t.same(problems(nodes), [], `${c.name}: safe`);
    t.notMatch(html(nodes), /<(script|img|svg|form|iframe|style)\b/i, `${c.name}: no such element`);
  }
});

t.test('isSafeUrl: absolute http, https and mailto URLs only', async (t) => {
  for (const ok of ['http://a.example/', 'https://a.example/x?y#z', 'mailto:a@b.example', 'HTTPS://A.EXAMPLE']) {
    t.ok(isSafeUrl(ok), ok);
  }
  for (const bad of [
    'javascript:alert(1)',
    'data:text/html,x',
    '/relative',
    '//evil.example',
    'ftp://a.example',
    'blob:https://a/x',
    ' https://a.example',
    'https://a.example ',
    'vbscript:x',
    'about:blank',
    '#top',
    '',
  ]) {
    t.notOk(isSafeUrl(bad), JSON.stringify(bad));
  }
});

t.test('any markdown renders to allowed elements, attributes and links only (property)', async (t) => {
  const pieces = fc.constantFrom(
    '<',
    '>',
    '[',
    ']',
    '(',
    ')',
    '!',
    ':',
    '/',
    '&',
    '#',
    ';',
    '"',
    "'",
    '=',
    '*',
    '_',
    '`',
    '\n',
    ' ',
    'javascript',
    'data',
    'http',
    'https://a.example',
    'mailto',
    'script',
    'img',
    'svg',
    'on',
    'a',
    'href',
    'src',
    '&#x3C;',
    '&lt;',
    '&#106;',
    '\\',
    '- ',
    '> ',
    '1. ',
    '```',
    '    ',
    'x',
  );
  fc.assert(
    fc.property(fc.array(pieces, { maxLength: 60 }), (parts) => {
      const nodes = renderBody(parts.join(''));
      const found = problems(nodes);
      if (found.length) throw new Error(`${JSON.stringify(parts.join(''))}: ${found.join('; ')}`);
    }),
    { numRuns: runs },
  );
  t.pass(`${runs} bodies`);
});

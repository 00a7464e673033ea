// A message body (CommonMark) as safe HTML for the web view: read with the same remark reading
// the validator uses, turned into HTML by remark-rehype, cleaned by rehype-sanitize with a strict
// schema of our own, then links made safe. Raw HTML shows as the text it is, an image becomes a
// link or its alt text, and nothing in a body can load anything, run anything or hide text.

import type { Element, ElementContent, Root as HastRoot, Text } from 'hast';
import type { Html, Image, Nodes as MdastNodes, Parents as MdastParents, Root as MdastRoot } from 'mdast';
import rehypeSanitize, { type Options as Schema } from 'rehype-sanitize';
import remarkRehype from 'remark-rehype';
import { unified } from 'unified';
import { parseMarkdown } from '../../core/messages/markdown.js';

/** Link schemes a body may point at; anything else (javascript:, data:, relative paths) is text. */
export const linkProtocols: readonly string[] = ['http', 'https', 'mailto'];

/** What a body may hold in HTML: text structure and links, nothing that loads or runs. */
export const bodySchema: Schema = {
  // Every key is given: rehype-sanitize fills a missing one from its (GitHub-like) default.
  allowComments: false,
  allowDoctypes: false,
  ancestors: { li: ['ol', 'ul'] },
  attributes: { a: ['href'], ol: ['start'] },
  clobber: [],
  clobberPrefix: '',
  protocols: { href: [...linkProtocols] },
  required: {},
  strip: ['script', 'style', 'template', 'noscript', 'iframe', 'object', 'embed', 'svg', 'math'],
  tagNames: ['p', 'br', 'em', 'strong', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a', 'hr', 'h4', 'h5', 'h6'],
};

/** The rel of every link in a body: no window handle, no referrer, no endorsement. */
export const linkRel: readonly string[] = ['noopener', 'noreferrer', 'nofollow'];

/** Body headings sit under the message's own h3; depths 1–2 never reach main (SPEC 4). */
function shiftHeadings(node: MdastNodes): void {
  if (node.type === 'heading') node.depth = Math.min(6, Math.max(4, node.depth + 1)) as 4 | 5 | 6;
  if ('children' in node) for (const c of node.children) shiftHeadings(c);
}

/** An image loads nothing: an http(s) one becomes a link saying it is an image, any other its alt text. */
function imageAsLink(img: Image): MdastNodes {
  const label = `image: ${img.alt?.trim() || 'no description'}`;
  if (!isSafeUrl(img.url)) return { type: 'text', value: `[${label}]` };
  return { type: 'link', url: img.url, children: [{ type: 'text', value: label }] };
}

function replaceImages(node: MdastNodes): void {
  if (!('children' in node)) return;
  node.children = node.children.map((c) => {
    if (c.type === 'image') return imageAsLink(c);
    // A reference to an image definition: its alt text (definitions never reach main anyway).
    if (c.type === 'imageReference') return { type: 'text', value: `[image: ${c.alt?.trim() || 'no description'}]` };
    replaceImages(c);
    return c;
  }) as typeof node.children;
}

/** Raw HTML (refused on main, SPEC 4) shows as the text it is, never as markup. */
function htmlAsText(_state: unknown, node: Html, parent: MdastParents | undefined): ElementContent {
  const text: Text = { type: 'text', value: node.value };
  const block = parent === undefined || parent.type === 'root' || parent.type === 'blockquote';
  return block ? { type: 'element', tagName: 'p', properties: {}, children: [text] } : text;
}

/** True for an absolute URL with an allowed scheme (what a link in a body may point at). */
export function isSafeUrl(href: string): boolean {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return false;
  }
  return linkProtocols.includes(url.protocol.slice(0, -1)) && href.trim() === href;
}

/** The visible text of a hast subtree. */
function textOf(nodes: readonly ElementContent[]): string {
  return nodes.map((n) => (n.type === 'text' ? n.value : n.type === 'element' ? textOf(n.children) : '')).join('');
}

/** Where a link goes, as a reader should see it: the host, or the address of a mailto. */
function destination(href: string): string {
  const url = new URL(href);
  if (url.protocol !== 'mailto:') return url.host;
  try {
    return decodeURIComponent(url.pathname);
  } catch {
    return url.pathname;
  }
}

/**
 * Links after sanitising: one that is not an absolute http(s)/mailto URL becomes its text; the
 * others get `rel` and, when their text does not already say it, where they go in brackets.
 */
function safeLinks(children: ElementContent[]): ElementContent[] {
  const out: ElementContent[] = [];
  for (const node of children) {
    if (node.type !== 'element') {
      out.push(node);
      continue;
    }
    node.children = safeLinks(node.children);
    const href = node.tagName === 'a' ? node.properties['href'] : undefined;
    if (node.tagName !== 'a') out.push(node);
    else if (typeof href !== 'string' || !isSafeUrl(href)) out.push(...node.children);
    else {
      node.properties = { href, rel: [...linkRel] };
      out.push(node);
      const where = destination(href);
      if (!textOf(node.children).includes(where)) out.push({ type: 'text', value: ` (${where})` });
    }
  }
  return out;
}

const toHast = unified()
  .use(remarkRehype, { handlers: { html: htmlAsText } })
  .use(rehypeSanitize, bodySchema);

/** A body's markdown as sanitised HTML elements, ready to sit inside a page. */
export function renderBody(markdown: string): ElementContent[] {
  const mdast: MdastRoot = parseMarkdown(markdown);
  shiftHeadings(mdast);
  replaceImages(mdast);
  const hast = toHast.runSync(mdast) as HastRoot;
  return safeLinks(hast.children.filter((n): n is ElementContent => n.type !== 'doctype'));
}

/** Every element of a rendered body, depth first (for tests and checks). */
export function* elementsOf(nodes: readonly ElementContent[]): Generator<Element> {
  for (const n of nodes) {
    if (n.type !== 'element') continue;
    yield n;
    yield* elementsOf(n.children);
  }
}

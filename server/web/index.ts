// The read-only web view (issue 16): pure renderers from what the record holds to complete HTML
// pages, the headers to send them with, and the URLs of the pages. The route that serves them
// reads the record through the reader's view and hands the result here.

export { bodySchema, isSafeUrl, linkProtocols, linkRel, renderBody } from './body.js';
export { contentSecurityPolicy, cspDirectives, pageHeaders, type HeaderOptions } from './headers.js';
export { renderErrorPage, renderPage, type Crumb, type PageContext, type PageParts } from './page.js';
export { parseWebPath, webPaths, type WebPage } from './paths.js';
export { renderArchivedPage, renderRecordPage, type RecordSummary, type ThreadSummary } from './recordPage.js';
export { css, styleHash } from './style.js';
export { renderMessages, renderThreadPage, type RenderedMessages, type ThreadView } from './threadPage.js';

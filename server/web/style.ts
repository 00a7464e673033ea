// The one style sheet of the web view, inline in every page and allowed by its hash in the
// Content-Security-Policy: no request for a style sheet, and no other style can apply.
// Light and dark schemes (contrast ≥ 4.5:1 for all text), a single column that fits a phone,
// and a print layout without navigation that writes out where links go.

import { createHash } from 'node:crypto';

/** The CSS of every page. */
export const css = `
:root{color-scheme:light dark;--fg:#1b1b1b;--bg:#fff;--muted:#4d4d4d;--line:#b3b3b3;--link:#0b4fb3;
--panel:#f3f4f6;--flag-bg:#fff1c2;--flag-fg:#5a3e00;--note:#7a4b00}
@media (prefers-color-scheme:dark){:root{--fg:#ececec;--bg:#141414;--muted:#bdbdbd;--line:#5c5c5c;
--link:#93bbff;--panel:#202124;--flag-bg:#3b2f00;--flag-fg:#ffe08a;--note:#ffc24d}}
*{box-sizing:border-box}
html{font:100%/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;-webkit-text-size-adjust:100%}
body{margin:0;color:var(--fg);background:var(--bg);overflow-wrap:anywhere}
a{color:var(--link)}
.skip{position:absolute;left:-100vw}
.skip:focus{left:1rem;top:1rem;background:var(--bg);padding:.25rem .5rem}
header,main,footer{max-width:48rem;margin:0 auto;padding:.75rem 1rem}
header{border-bottom:1px solid var(--line)}
header p{margin:0;font-weight:600}
footer{border-top:1px solid var(--line);color:var(--muted);font-size:.875rem}
nav ol{list-style:none;margin:.25rem 0 0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem}
nav li+li::before{content:"\\203A";margin-right:.25rem;color:var(--muted)}
h1{font-size:1.5rem;line-height:1.25;margin:.5rem 0}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
h3{font-size:1.05rem;margin:0}
h4,h5,h6{font-size:1rem;margin:.75rem 0 .25rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.125rem 1rem;margin:0}
dt{color:var(--muted)}
dd{margin:0}
@media (max-width:30rem){dl{grid-template-columns:1fr}dd{margin-bottom:.375rem}}
.tags{display:flex;flex-wrap:wrap;gap:.375rem;list-style:none;margin:.5rem 0;padding:0}
.tags li{border:1px solid var(--line);border-radius:1rem;padding:0 .625rem;font-size:.875rem}
.tags li.flag{background:var(--flag-bg);color:var(--flag-fg);border-color:var(--flag-fg)}
.list{list-style:none;margin:0;padding:0}
.list>li{border:1px solid var(--line);border-radius:.5rem;padding:.75rem 1rem;margin:0 0 .75rem}
.messages{list-style:none;margin:0;padding:0}
.message{border:1px solid var(--line);border-radius:.5rem;padding:.75rem 1rem;margin:0 0 1rem}
.message.system{background:var(--panel)}
.meta{color:var(--muted);font-size:.875rem;margin:.125rem 0 .5rem}
.note{color:var(--note);font-weight:600}
.corrections{margin:.75rem 0 0;padding:0 0 0 .75rem;border-left:4px solid var(--note);list-style:none}
.corrections .message{margin:.5rem 0 0}
.body>:first-child{margin-top:0}
.body>:last-child{margin-bottom:0}
pre{background:var(--panel);padding:.5rem .75rem;white-space:pre-wrap;border-radius:.25rem}
code{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:.9375em}
blockquote{margin:.5rem 0;padding-left:.75rem;border-left:3px solid var(--line)}
.hidden-char{border:1px solid var(--note);color:var(--note);font-size:.75em;padding:0 .125rem}
@media print{:root{--fg:#000;--bg:#fff;--muted:#333;--line:#888;--link:#000;--panel:#fff;--flag-bg:#fff;
--flag-fg:#000;--note:#000}
nav,.skip{display:none}
header,main,footer{max-width:none;padding:.25rem 0}
.message,.list>li{break-inside:avoid}
main a[href^="http"]::after,main a[href^="mailto"]::after{content:" <" attr(href) ">";font-size:.875em}}
`;

/** The CSP source that allows exactly this style sheet: `'sha256-…'`. */
export const styleHash = `'sha256-${createHash('sha256').update(css).digest('base64')}'`;

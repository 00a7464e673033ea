// The evaluator's front door: it lives in core/evaluate/ (cache, object reader, change reader,
// rule runner, merge judging, evaluateCommit); callers keep importing it from here.

export { EvaluationCache } from './evaluate/cache.js';
export { commitVerdict, evaluateCommit, prefetch, type EvaluateOptions } from './evaluate/evaluateCommit.js';
export { mergeRefused } from './rules/commitParents.js';
export { judgeChanges } from './evaluate/runRules.js';

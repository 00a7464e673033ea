// What a person reads when something outside ccr failed: a system call (a file, a folder, a port,
// a program that is not installed) or the git CLI. One line says what happened, one what to do;
// never a stack trace. Pure functions of the error or of git's output.

/** A failure put in words: what happened, and what to do about it. */
export interface Explained {
  message: string;
  hint?: string;
}

const GIT_HINT = 'install git 2.36 or later (Debian/Ubuntu: apt-get install git) and make sure it is on PATH';

/** The verb of a system call, for "cannot <verb> <path>". */
function verbOf(syscall: string): string {
  if (/^(open|read|stat|lstat|access|scandir|readlink|realpath)/.test(syscall)) return 'read';
  if (syscall === 'mkdir') return 'create the folder';
  if (syscall === 'rmdir' || syscall === 'unlink') return 'remove';
  if (syscall === 'rename' || syscall === 'link') return 'write';
  return syscall.replace(/^fs\./, '');
}

/** A Node system error (it has `code` and `syscall`) in words, or null when it is not one. */
export function explainSystemError(e: unknown): Explained | null {
  const err = e as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string };
  if (!err || typeof err !== 'object' || typeof err.code !== 'string' || typeof err.syscall !== 'string') return null;
  const path = err.path ?? '';
  if (err.syscall.startsWith('spawn') && err.code === 'ENOENT') {
    const program = path || err.syscall.slice(6);
    return program === 'git'
      ? { message: 'the git command was not found on PATH', hint: GIT_HINT }
      : { message: `${program} was not found on PATH`, hint: `install ${program}, or add its folder to PATH` };
  }
  const open = err.syscall === 'open' && /w|a/.test(String((err as { flags?: unknown }).flags ?? ''));
  const verb = open ? 'write' : verbOf(err.syscall);
  switch (err.code) {
    case 'ENOENT':
      return {
        message: `${path || 'a file'} does not exist`,
        hint: 'check the path you gave (for a data folder: --data or CCR_DATA)',
      };
    case 'EACCES':
    case 'EPERM':
      return {
        message: `permission denied: cannot ${verb} ${path}`,
        hint: 'run ccr as the user that owns it, or choose a place you can write to',
      };
    case 'ENOTDIR':
      return { message: `${path}: part of this path is a file, not a folder`, hint: 'give the path of a folder' };
    case 'EISDIR':
      return { message: `${path} is a folder where a file was expected`, hint: 'give the path of a file' };
    case 'EROFS':
      return { message: `${path} is on a read-only file system`, hint: 'choose a place on a writable file system' };
    case 'ENOSPC':
    case 'EDQUOT':
      return {
        message: `no space left on the device holding ${path || 'the file being written'}`,
        hint: 'free some space (ccr doctor shows how much is free), then try again',
      };
    case 'EMFILE':
    case 'ENFILE':
      return { message: 'too many open files', hint: 'raise the limit of open files (ulimit -n), then try again' };
    case 'ECONNREFUSED':
    case 'ECONNRESET':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return {
        message: `cannot reach ${err.hostname ?? err.address ?? 'the server'}${err.port ? `:${err.port}` : ''} (${err.code})`,
        hint: 'check the URL, and that the server runs and is reachable from here',
      };
    default:
      return {
        message: `${err.syscall} ${path} failed: ${err.code}`.replace(/  +/g, ' '),
        hint: 'check the path and its permissions',
      };
  }
}

/** What the server, the record and the user were, to put git's failure in words. */
export interface GitContext {
  /** The server's base URL or the remote URL, without credentials. */
  url?: string;
  /** The record id, when the command names one. */
  record?: string;
  /** The principal name, when known (CCR_USER). */
  user?: string;
}

/**
 * The failure of a network git command (clone, fetch, pull, push, ls-remote) in words, from git's
 * stderr, or null when git's own words are the best there are.
 */
export function explainGitFailure(stderr: string, c: GitContext = {}): Explained | null {
  const where = c.url ? ` at ${c.url}` : '';
  const login = c.url ? `ccr login ${c.url}` : 'ccr login <server-url>';
  if (/could not read (Username|Password)|terminal prompts disabled/.test(stderr)) {
    return {
      message: `no credentials for the server${where}`,
      hint: `run ${login} once (git's credential helper keeps the token), or set CCR_USER and CCR_TOKEN`,
    };
  }
  if (/Authentication failed|HTTP 401|The requested URL returned error: 401/.test(stderr)) {
    return {
      message: `the server${where} refused the credentials${c.user ? ` of ${c.user}` : ''}`,
      hint: `check the principal name and its token; ${login} stores the right ones (or set CCR_USER and CCR_TOKEN)`,
    };
  }
  if (/HTTP 403|returned error: 403/.test(stderr)) {
    return {
      message: `the server${where} does not let ${c.user ?? 'you'} do this (403)`,
      hint: 'auditor principals read but never push; ask an administrator for the rights you need',
    };
  }
  if (/repository '.*' not found|HTTP 404|returned error: 404/.test(stderr)) {
    return {
      message: `no record${c.record ? ` ${c.record}` : ''}${where} that ${c.user ?? 'you'} may read`,
      hint: 'check the record id; a participant sees only records in which it takes part in some thread',
    };
  }
  if (
    /Could not resolve host|Failed to connect|Couldn't connect|Connection refused|Connection timed out|Operation timed out|Network is unreachable|No route to host/.test(
      stderr,
    )
  ) {
    return {
      message: `cannot reach the server${where}`,
      hint: 'check the URL, and that the server runs and is reachable from here',
    };
  }
  if (/SSL certificate problem|server certificate verification failed|certificate verify failed/.test(stderr)) {
    return {
      message: `the server's TLS certificate${where} is not trusted here`,
      hint: 'give git the CA certificate: git config --global http.sslCAInfo <ca.pem> (or GIT_SSL_CAINFO)',
    };
  }
  const exists = /destination path '(.*)' already exists and is not an empty directory/.exec(stderr);
  if (exists)
    return {
      message: `${exists[1]} already exists and is not empty`,
      hint: 'give ccr clone another folder as its last argument',
    };
  if (/Not possible to fast-forward/.test(stderr)) {
    return {
      message: 'your working copy and the server both have new commits',
      hint: "ccr pull only fast-forwards: replay your commits on the server's with git pull --rebase (the server judges them again when you push)",
    };
  }
  return null;
}

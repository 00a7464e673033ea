/*
 * The spawn helper (issue 17): a small process of its own that starts git's services for the
 * server (server/gitSpawner.ts). Node starts a process by forking the whole server, a cost of the
 * event loop's that grows with its resident memory (1 ms at 45 MB, 17 ms at 400 MB); this process
 * stays at a few hundred kilobytes and starts git with posix_spawn (a vfork), so a start costs the
 * server a socket connection and costs here a tenth of what a Node helper's fork did.
 *
 * Usage: ccr-spawn <socket path>, in a folder only the server's user can open (the boundary).
 * - Each connection to the socket carries one request: NUL-terminated strings, the run's id, the
 *   number of arguments, the arguments, then KEY=VALUE environment entries, then an empty string.
 *   It names one of git's two services over an absolute repository path, or the index-pack of a
 *   push landed without receive-pack (server/landAhead.ts); anything else is refused. git then
 *   runs with that connection as its stdin and stdout, and the helper closes its own copy.
 * - To the server, on stdout, one JSON object a line: {"listening":true}, {"failed":why},
 *   {"id":N,"pid":P}, {"id":N,"error":why}, {"id":N,"code":C,"signal":S,"stderr":text} once git
 *   has exited and its stderr has ended (as Node's 'close').
 * - From the server, on stdin, one line a kill: "<id> <signal number>". The end of stdin means the
 *   server has gone: the helper ends its runs (SIGTERM: git removes its lock files) and itself.
 * - It ignores SIGINT and SIGTERM (a terminal's Ctrl-C or a service manager's stop reaches the
 *   whole process group; the helper stays for its server, which may be finishing pushes through
 *   it), ends after 2 s with nothing to do, and removes its socket and folder when it ends.
 * It imports nothing of CCR's; `npm run build` compiles it into dist/bin/ccr-spawn (scripts/hook.mjs).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REQUEST_MAX (1024 * 1024) /* a request's bytes */
#define STDERR_MAX 8192           /* of a run's stderr, what is kept */
#define IDLE_MS 2000              /* nothing running and no connection this long: the helper ends */
#define ENV_MAX 64                /* environment entries a request may give */
#define ARGS_MAX 64               /* arguments a request may give (the commands started take at most 7) */

/** git's environment as the server gives it (git/run.ts gitEnv, the hook's port and token). */
static const char *const ENV_KEYS[] = {
    "PATH",
    "HOME",
    "LANG",
    "TMPDIR",
    "SystemRoot",
    "LC_ALL",
    "GIT_CONFIG_NOSYSTEM",
    "GIT_CONFIG_GLOBAL",
    "GIT_TERMINAL_PROMPT",
    "GIT_NO_REPLACE_OBJECTS",
    "GIT_GRAFT_FILE",
    "GIT_PROTOCOL",
    "CCR_HOOK_PORT",
    "CCR_HOOK_TOKEN",
};
/** The one other command, between `--git-dir=<absolute path>` and `--max-input-size=<bytes>`. */
static const char *const INDEX_PACK[] = {"index-pack", "--stdin", "--fix-thin", "--strict", "--keep=ccr-push"};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static char *socket_path;
static int listener = -1;

/* A connection whose request has not all come yet. */
struct conn {
  int fd;
  char *buf;
  size_t len;
  struct conn *next;
};
/* A git run: reported once it has exited and its stderr has ended. */
struct run {
  long id;
  pid_t pid;
  int err_fd; /* -1 once its stderr has ended */
  int exited;
  int status;
  size_t err_len;
  char err[STDERR_MAX];
  struct run *next;
};
static struct conn *conns;
static struct run *runs;

static void cleanup(void) {
  if (!socket_path) return;
  unlink(socket_path);
  char *slash = strrchr(socket_path, '/');
  if (slash && slash != socket_path) {
    *slash = '\0';
    rmdir(socket_path); /* not empty, or gone already: left */
  }
  socket_path = NULL;
}

/* One line to the server; a server gone (EPIPE) ends the helper. */
static void say(const char *line, size_t n) {
  while (n > 0) {
    ssize_t w = write(STDOUT_FILENO, line, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      for (struct run *r = runs; r; r = r->next)
        if (!r->exited) kill(r->pid, SIGTERM);
      exit(0);
    }
    line += w;
    n -= (size_t)w;
  }
}

/* A JSON string of `s` (n bytes) into `out` (room for 6 * n + 3 bytes): quotes, escapes. */
static size_t json_string(char *out, const char *s, size_t n) {
  size_t o = 0;
  out[o++] = '"';
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      out[o++] = '\\';
      out[o++] = (char)c;
    } else if (c < 0x20 || c == 0x7f) {
      o += (size_t)sprintf(out + o, "\\u%04x", c);
    } else {
      out[o++] = (char)c; /* bytes of UTF-8 pass as they are; the server decodes them */
    }
  }
  out[o++] = '"';
  return o;
}

static void say_error(long id, const char *why) {
  char line[1024];
  int n = snprintf(line, sizeof line, "{\"id\":%ld,\"error\":", id);
  n += (int)json_string(line + n, why, strnlen(why, 100));
  line[n++] = '}';
  line[n++] = '\n';
  say(line, (size_t)n);
}

static const char *signal_name(int sig) {
  static const struct {
    int sig;
    const char *name;
  } names[] = {{SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},
               {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},
               {SIGKILL, "SIGKILL"}, {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
               {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"}, {SIGXCPU, "SIGXCPU"},
               {SIGXFSZ, "SIGXFSZ"}, {SIGSYS, "SIGSYS"},   {SIGCHLD, "SIGCHLD"}, {SIGCONT, "SIGCONT"},
               {SIGSTOP, "SIGSTOP"}, {SIGTSTP, "SIGTSTP"}, {SIGTTIN, "SIGTTIN"}, {SIGTTOU, "SIGTTOU"},
               {SIGURG, "SIGURG"},   {SIGPROF, "SIGPROF"}, {SIGWINCH, "SIGWINCH"}, {SIGIO, "SIGIO"},
               {SIGVTALRM, "SIGVTALRM"}};
  for (size_t i = 0; i < COUNT(names); i++)
    if (names[i].sig == sig) return names[i].name;
  static char other[16];
  snprintf(other, sizeof other, "SIG%d", sig); /* a real-time signal */
  return other;
}

/* Report a run that has exited and whose stderr has ended, and forget it. */
static void finish(struct run *r) {
  static char line[6 * STDERR_MAX + 256];
  int n;
  if (WIFSIGNALED(r->status))
    n = snprintf(line, 256, "{\"id\":%ld,\"code\":null,\"signal\":\"%s\",\"stderr\":", r->id,
                 signal_name(WTERMSIG(r->status)));
  else
    n = snprintf(line, 256, "{\"id\":%ld,\"code\":%d,\"signal\":null,\"stderr\":", r->id, WEXITSTATUS(r->status));
  n += (int)json_string(line + n, r->err, r->err_len);
  line[n++] = '}';
  line[n++] = '\n';
  say(line, (size_t)n);
  for (struct run **p = &runs; *p; p = &(*p)->next)
    if (*p == r) {
      *p = r->next;
      break;
    }
  free(r);
}

static int absolute(const char *path) { return path[0] == '/' && !strchr(path, '\n'); }

/** Why these arguments are not one of the commands the helper starts, or NULL. */
static const char *command_refusal(int argc, char **argv) {
  if (argc == 3) {
    if (strcmp(argv[0], "upload-pack") != 0 && strcmp(argv[0], "receive-pack") != 0) return "not a git service";
    if (strcmp(argv[1], "--stateless-rpc") != 0) return "only --stateless-rpc runs";
    return absolute(argv[2]) ? NULL : "not an absolute path";
  }
  if ((size_t)argc != COUNT(INDEX_PACK) + 2) return "not a git command";
  if (strncmp(argv[0], "--git-dir=", 10) != 0 || !absolute(argv[0] + 10)) return "not a git command";
  for (size_t i = 0; i < COUNT(INDEX_PACK); i++)
    if (strcmp(argv[i + 1], INDEX_PACK[i]) != 0) return "not a git command";
  const char *max = argv[argc - 1];
  if (strncmp(max, "--max-input-size=", 17) != 0) return "not a git command";
  size_t digits = strlen(max + 17);
  if (digits < 1 || digits > 15 || strspn(max + 17, "0123456789") != digits) return "not a git command";
  return NULL;
}

/** True for the quarantine's two variables as the server sets them for the record's `objects`. */
static int quarantine_value(const char *key, const char *value, const char *objects) {
  size_t n = strlen(objects);
  if (strcmp(key, "GIT_ALTERNATE_OBJECT_DIRECTORIES") == 0) return strcmp(value, objects) == 0;
  if (strcmp(key, "GIT_OBJECT_DIRECTORY") != 0) return 0;
  if (strncmp(value, objects, n) != 0 || value[n] != '/') return 0;
  const char *name = value + n + 1;
  static const char prefix[] = "tmp_objdir-ccr-";
  if (strncmp(name, prefix, sizeof prefix - 1) != 0) return 0;
  name += sizeof prefix - 1;
  static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return name[0] != '\0' && strspn(name, alnum) == strlen(name);
}

/** Why an environment is not the server's for this command, or NULL. */
static const char *env_refusal(char **env, int envc, char **argv, int argc) {
  char objects[PATH_MAX + 16];
  int index_pack = argc != 3;
  if (index_pack && snprintf(objects, sizeof objects, "%s/objects", argv[0] + 10) >= (int)sizeof objects)
    return "not a git command";
  int quarantine = 0;
  for (int i = 0; i < envc; i++) {
    char *eq = strchr(env[i], '=');
    if (!eq || eq == env[i]) return "not an environment entry";
    size_t klen = (size_t)(eq - env[i]);
    for (int j = 0; j < i; j++)
      if (strncmp(env[j], env[i], klen + 1) == 0) return "an environment variable given twice";
    char key[64];
    if (klen >= sizeof key) return "environment variable not given to git";
    memcpy(key, env[i], klen);
    key[klen] = '\0';
    if (index_pack && quarantine_value(key, eq + 1, objects)) {
      quarantine++;
      continue;
    }
    int known = 0;
    for (size_t k = 0; k < COUNT(ENV_KEYS) && !known; k++) known = strcmp(key, ENV_KEYS[k]) == 0;
    if (!known) return "environment variable not given to git";
  }
  if (index_pack && quarantine != 2) return "no quarantine";
  return NULL;
}

/** git in the request's PATH (as Node's spawn looks), into `out`; 0 when there is none. */
static int find_git(const char *path_value, char *out, size_t size) {
  const char *p = path_value ? path_value : "/usr/bin:/bin";
  while (*p) {
    const char *end = strchr(p, ':');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n > 0 && p[0] == '/' && (size_t)snprintf(out, size, "%.*s/git", (int)n, p) < size) {
      struct stat st;
      if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0) return 1;
    }
    p += n + (end ? 1 : 0);
  }
  return 0;
}

/** Start git for a whole request held in `c`; the connection is git's, or closed on refusal. */
static void start(struct conn *c) {
  char *argv[ARGS_MAX + 2], *env[ENV_MAX + 1];
  char *p = c->buf, *end = c->buf + c->len;
  char *id_text = p;
  p += strlen(p) + 1;
  char *stop;
  long id = strtol(id_text, &stop, 10);
  if (*id_text == '\0' || *stop != '\0' || id <= 0) return; /* no id to answer to: the connection closes */
  long argc = strtol(p, &stop, 10);
  if (*p == '\0' || *stop != '\0' || argc < 1 || argc > ARGS_MAX) {
    say_error(id, "refused: not a git command");
    return;
  }
  p += strlen(p) + 1;
  for (long i = 0; i < argc; i++) {
    argv[i + 1] = p;
    p += strlen(p) + 1;
  }
  argv[0] = "git";
  argv[argc + 1] = NULL;
  int envc = 0;
  while (p < end && *p != '\0') {
    if (envc == ENV_MAX) {
      say_error(id, "refused: environment variable not given to git");
      return;
    }
    env[envc++] = p;
    p += strlen(p) + 1;
  }
  env[envc] = NULL;
  const char *why = argc > 7 ? "not a git command" : command_refusal((int)argc, argv + 1);
  if (!why) why = env_refusal(env, envc, argv + 1, (int)argc);
  if (why) {
    char text[128];
    snprintf(text, sizeof text, "refused: %s", why);
    say_error(id, text);
    return;
  }
  const char *path_value = NULL;
  for (int i = 0; i < envc; i++)
    if (strncmp(env[i], "PATH=", 5) == 0) path_value = env[i] + 5;
  char git[PATH_MAX];
  if (!find_git(path_value, git, sizeof git)) {
    say_error(id, "spawn git ENOENT");
    return;
  }

  int err[2];
  if (pipe2(err, O_CLOEXEC) != 0) {
    say_error(id, "no pipe for git's stderr");
    return;
  }
  fcntl(err[0], F_SETFL, O_NONBLOCK); /* the helper's end only: git writes to a blocking one */
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, c->fd, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, c->fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  posix_spawnattr_init(&attr);
  /* git gets every signal's default action and none blocked, whatever the helper ignores or waits
     for (glibc keeps its own two real-time signals as they are). */
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid;
  int failed = posix_spawn(&pid, git, &actions, &attr, argv, env);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(err[1]);
  if (failed) {
    close(err[0]);
    char text[128];
    snprintf(text, sizeof text, "spawn git %s", strerror(failed));
    {
    say_error(id, text);
    return;
  }
  }
  struct run *r = calloc(1, sizeof *r);
  if (!r) abort();
  r->id = id;
  r->pid = pid;
  r->err_fd = err[0];
  r->next = runs;
  runs = r;
  char line[64];
  int n = snprintf(line, sizeof line, "{\"id\":%ld,\"pid\":%d}\n", id, (int)pid);
  say(line, (size_t)n);
}

/**
 * Whether `c` holds a whole request: the id, the count, that many arguments, environment entries
 * and the empty string; 1 when whole and nothing follows, 0 when more must come, -1 when it is
 * not a request.
 */
static int whole(const struct conn *c) {
  const char *p = c->buf, *end = c->buf + c->len;
  long strings = 0, argc = -1;
  while (p < end) {
    const char *nul = memchr(p, '\0', (size_t)(end - p));
    if (!nul) return 0;
    if (strings == 1) {
      char *stop;
      argc = strtol(p, &stop, 10);
      if (*p == '\0' || *stop != '\0' || argc < 1 || argc > ARGS_MAX) return -1;
    }
    int empty = nul == p;
    strings++;
    p = nul + 1;
    if (empty && strings > 2 + argc && argc >= 0) return p == end ? 1 : -1;
  }
  return 0;
}

static void drop_conn(struct conn *c) {
  for (struct conn **p = &conns; *p; p = &(*p)->next)
    if (*p == c) {
      *p = c->next;
      break;
    }
  close(c->fd);
  free(c->buf);
  free(c);
}

/* Bytes arrived on a connection: start git once the request is whole. */
static void readable(struct conn *c) {
  char chunk[65536];
  ssize_t n = read(c->fd, chunk, sizeof chunk);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0 || c->len + (size_t)n > REQUEST_MAX) return drop_conn(c);
  char *grown = realloc(c->buf, c->len + (size_t)n);
  if (!grown) abort();
  c->buf = grown;
  memcpy(c->buf + c->len, chunk, (size_t)n);
  c->len += (size_t)n;
  int w = whole(c);
  if (w == 0) return;
  if (w == -1) {
    /* Not a request; answered when it begins with an id, so the server's wait ends. */
    char *stop;
    long id = memchr(c->buf, '\0', c->len) ? strtol(c->buf, &stop, 10) : 0;
    if (id > 0 && *stop == '\0') say_error(id, "refused: not a request");
  } else {
    /* git is started in blocking mode on the connection; the helper's copy closes either way. */
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) & ~O_NONBLOCK);
    start(c);
  }
  drop_conn(c);
}

/* The server's kill lines: "<id> <signal>". */
static void kills(void) {
  static char buf[4096];
  static size_t len;
  ssize_t n = read(STDIN_FILENO, buf + len, sizeof buf - 1 - len);
  if (n < 0 && errno == EINTR) return;
  if (n <= 0) { /* the server has gone: so do its runs and the helper */
    for (struct run *r = runs; r; r = r->next)
      if (!r->exited) kill(r->pid, SIGTERM);
    exit(0);
  }
  len += (size_t)n;
  buf[len] = '\0';
  char *line = buf, *nl;
  while ((nl = strchr(line, '\n'))) {
    *nl = '\0';
    long id = 0;
    int sig = 0;
    if (sscanf(line, "%ld %d", &id, &sig) == 2 && sig > 0 && sig < NSIG)
      for (struct run *r = runs; r; r = r->next)
        if (r->id == id && !r->exited) kill(r->pid, sig);
    line = nl + 1;
  }
  len = strlen(line);
  memmove(buf, line, len);
  if (len == sizeof buf - 1) len = 0; /* no line this long is ever sent */
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
    for (struct run *r = runs; r; r = r->next)
      if (r->pid == pid) {
        r->exited = 1;
        r->status = status;
        if (r->err_fd < 0) finish(r);
        break;
      }
}

static void stderr_readable(struct run *r) {
  char chunk[4096];
  ssize_t n = read(r->err_fd, chunk, sizeof chunk);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n > 0) {
    size_t keep = (size_t)n < STDERR_MAX - r->err_len ? (size_t)n : STDERR_MAX - r->err_len;
    memcpy(r->err + r->err_len, chunk, keep);
    r->err_len += keep;
    return;
  }
  close(r->err_fd);
  r->err_fd = -1;
  if (r->exited) finish(r);
}

/* A descriptor kept for the moment there are none left: see accept_refused. */
static int spare = -1;

/**
 * After a failed accept: when the process is out of descriptors, the connection waiting would keep
 * the listener readable and the loop spinning; the spare is closed to accept it and close it at
 * once (its server starts git itself), then taken again. True when the accept should be tried again.
 */
static int accept_refused(void) {
  if ((errno != EMFILE && errno != ENFILE) || spare < 0) return 0;
  close(spare);
  int s = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
  if (s >= 0) close(s);
  spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
  return s >= 0;
}

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int main(int argc, char **argv) {
  if (argc != 2 || strlen(argv[1]) >= sizeof(((struct sockaddr_un *)0)->sun_path)) return 2;
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  /* An ignored SIGCHLD inherited from whoever started the helper would have the kernel reap git
     itself, and no run would ever be reported. */
  signal(SIGCHLD, SIG_DFL);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int children = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);

  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strcpy(addr.sun_path, argv[1]);
  listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (children < 0 || listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 ||
      listen(listener, 128) != 0) {
    char line[512]; /* 12 bytes, then at most 6 a character of 60, then 2 */
    const char *why = strerror(errno);
    int n = snprintf(line, 16, "{\"failed\":");
    n += (int)json_string(line + n, why, strnlen(why, 60));
    line[n++] = '}';
    line[n++] = '\n';
    say(line, (size_t)n);
    return 1;
  }
  socket_path = argv[1];
  atexit(cleanup);
  spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
  say("{\"listening\":true}\n", 19);

  long long idle_since = now_ms();
  for (;;) {
    size_t nc = 0, nr = 0;
    for (struct conn *c = conns; c; c = c->next) nc++;
    for (struct run *r = runs; r; r = r->next) nr += r->err_fd >= 0;
    struct pollfd *fds = calloc(3 + nc + nr, sizeof *fds);
    if (!fds) abort();
    size_t k = 0;
    fds[k++] = (struct pollfd){.fd = listener, .events = POLLIN};
    fds[k++] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
    fds[k++] = (struct pollfd){.fd = children, .events = POLLIN};
    for (struct conn *c = conns; c; c = c->next) fds[k++] = (struct pollfd){.fd = c->fd, .events = POLLIN};
    for (struct run *r = runs; r; r = r->next)
      if (r->err_fd >= 0) fds[k++] = (struct pollfd){.fd = r->err_fd, .events = POLLIN};
    int busy = conns || runs;
    if (busy) idle_since = now_ms();
    int timeout = busy ? -1 : (int)(IDLE_MS - (now_ms() - idle_since));
    if (!busy && timeout <= 0) return 0;
    int ready = poll(fds, k, timeout);
    if (ready < 0 && errno != EINTR) abort();
    if (busy) idle_since = now_ms(); /* busy until now: the idle time counts from here */
    if (ready > 0) {
      /* The fds as they were polled: each is looked up again, since handling one may end another. */
      for (size_t i = 0; i < k; i++) {
        if (!fds[i].revents) continue;
        int fd = fds[i].fd;
        if (fd == listener) {
          int s;
          while ((s = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0 || accept_refused()) {
            if (s < 0) continue;
            struct conn *c = calloc(1, sizeof *c);
            if (!c) abort();
            c->fd = s;
            c->next = conns;
            conns = c;
          }
        } else if (fd == STDIN_FILENO) {
          kills();
        } else if (fd == children) {
          struct signalfd_siginfo info;
          while (read(children, &info, sizeof info) == sizeof info) {
          }
          reap();
        } else {
          /* Each handler may free what it handles: the walk stops there, before reading on. */
          int found = 0;
          for (struct conn *c = conns; c; c = c->next)
            if (c->fd == fd) {
              readable(c);
              found = 1;
              break;
            }
          for (struct run *r = runs; r && !found; r = r->next)
            if (r->err_fd == fd) {
              stderr_readable(r);
              break;
            }
        }
      }
    }
    free(fds);
  }
}

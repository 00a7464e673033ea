/*
 * `ccr`, compiled (dist/bin/ccr): hands the command to the user's agent (cli/agent.ts) when one
 * serves this build, and otherwise runs `node dist/bundle/ccr.cjs` itself, so it behaves as that
 * does in every case. The agent keeps the commands loaded: `ccr message add … --push` no longer
 * pays for a Node start and the loading of the service (issue 17). Sent: the umask, the folder,
 * the arguments and the environment; received: the command's output and its exit code. When no
 * agent answers, the Node command it runs starts one for the next command (CCR_AGENT_WANTED).
 * CCR_AGENT=0 never uses one. `npm run build` compiles it where a C compiler is (scripts/hook.mjs).
 */
#define _GNU_SOURCE /* struct ucred */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;

#define MAX_REQUEST (1 << 20) /* as the agent's MAX_REQUEST */
#define MAGIC "ccr-agent 1"

static char root[PATH_MAX]; /* dist/ */

/* Run the command with Node, as `ccr` does without the agent; `want` asks it to start an agent. */
static void run_node(char **argv, int want) {
  static char cjs[PATH_MAX + 32];
  snprintf(cjs, sizeof cjs, "%s/bundle/ccr.cjs", root);
  if (want) setenv("CCR_AGENT_WANTED", "1", 1);
  int argc = 0;
  while (argv[argc]) argc++;
  char **args = calloc((size_t)argc + 2, sizeof *args);
  if (!args) exit(1);
  args[0] = "node";
  args[1] = cjs;
  for (int i = 1; i < argc; i++) args[i + 1] = argv[i];
  execvp("node", args);
  fprintf(stderr, "ccr: cannot start node: %s\n", strerror(errno));
  exit(1);
}

/* The agent was lost after it began the command: it may have taken effect, so it is not run again. */
static int stopped(void) {
  fprintf(stderr, "ccr: the agent stopped while running the command; check with `ccr thread show` or `git log` "
                  "whether it took effect before running it again\n");
  return 1;
}

static int read_all(int fd, void *buf, size_t n) {
  char *p = buf;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

/* To the terminal (or the pipe) with write; to the agent with send, a closed socket an error and not a signal. */
static int write_all(int fd, const char *p, size_t n, int sock) {
  while (n > 0) {
    ssize_t w = sock ? send(fd, p, n, MSG_NOSIGNAL) : write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Appends s and its NUL to the request; -1 when it would be too long. */
static int put(char *req, size_t *len, const char *s) {
  size_t n = strlen(s) + 1;
  if (*len + n > MAX_REQUEST + 4) return -1;
  memcpy(req + *len, s, n);
  *len += n;
  return 0;
}

/* The user's socket folder, as cli/agent.ts's agentDir: $XDG_RUNTIME_DIR/ccr, else /tmp/ccr-<uid>. */
static void agent_dir(char *dir, size_t size) {
  const char *runtime = getenv("XDG_RUNTIME_DIR");
  if (runtime && runtime[0] == '/') snprintf(dir, size, "%s/ccr", runtime);
  else snprintf(dir, size, "/tmp/ccr-%u", (unsigned)getuid());
}

int main(int argc, char **argv) {
  /* 0, 1 and 2 open (on /dev/null if closed), so the socket is never one of them. */
  for (int fd = 0; fd < 3; fd++)
    if (fcntl(fd, F_GETFD) == -1 && open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd) return 1;
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    fprintf(stderr, "ccr: cannot find where ccr is installed\n");
    return 1;
  }
  self[n] = '\0';
  /* self is <root>/bin/ccr */
  for (int up = 0; up < 2; up++) {
    char *slash = strrchr(self, '/');
    if (!slash) return 1;
    *slash = '\0';
  }
  snprintf(root, sizeof root, "%s", self);

  const char *off = getenv("CCR_AGENT");
  if (off && strcmp(off, "0") == 0) run_node(argv, 0);
  /* Node's own options are for a Node start: the agent started long ago. */
  const char *node_options = getenv("NODE_OPTIONS");
  if (node_options && node_options[0]) run_node(argv, 0);
  /* Usage and version: Node's own start is all they cost, and the agent runs no such thing. */
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--version") == 0)
      run_node(argv, 0);
  if (argc < 2 || strcmp(argv[1], "help") == 0) run_node(argv, 0);

  /* The build's hash names its agent's socket (scripts/bundle.mjs writes it). */
  char path[PATH_MAX + 32], hash[17] = {0};
  snprintf(path, sizeof path, "%s/bundle/main.hash", root);
  FILE *f = fopen(path, "r");
  if (!f || fread(hash, 1, 16, f) != 16) run_node(argv, 0);
  fclose(f);

  char dir[PATH_MAX];
  agent_dir(dir, sizeof dir);
  struct stat st;
  int exists = lstat(dir, &st) == 0;
  /* Only a folder of this user's that no one else can enter; never another's socket. */
  if (exists && (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077) != 0)) run_node(argv, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if ((size_t)snprintf(addr.sun_path, sizeof addr.sun_path, "%s/agent-%s.sock", dir, hash) >= sizeof addr.sun_path)
    run_node(argv, 0);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) run_node(argv, 0);
  if (!exists || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    int absent = !exists || errno == ENOENT || errno == ECONNREFUSED;
    close(fd);
    run_node(argv, absent);
  }
  /* The other end is this user's process (the folder could have been swapped since it was looked at). */
  struct ucred peer;
  socklen_t peer_len = sizeof peer;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &peer_len) != 0 || peer.uid != getuid()) {
    close(fd);
    run_node(argv, 0);
  }

  /* The request: its length, then NUL-terminated strings. */
  char *req = malloc(MAX_REQUEST + 4);
  char cwd[PATH_MAX], mask[8], count[16];
  if (!req || !getcwd(cwd, sizeof cwd)) run_node(argv, 0);
  mode_t old = umask(022);
  umask(old);
  snprintf(mask, sizeof mask, "%o", (unsigned)old);
  snprintf(count, sizeof count, "%d", argc - 1);
  size_t len = 4;
  int ok = put(req, &len, MAGIC) == 0 && put(req, &len, mask) == 0 && put(req, &len, cwd) == 0 &&
           put(req, &len, count) == 0;
  for (int i = 1; ok && argv[i]; i++) ok = put(req, &len, argv[i]) == 0;
  for (char **e = environ; ok && *e; e++) ok = put(req, &len, *e) == 0;
  if (!ok) {
    close(fd);
    run_node(argv, 0); /* too long for the agent: Node takes it */
  }
  uint32_t body = (uint32_t)(len - 4);
  req[0] = (char)(body >> 24);
  req[1] = (char)(body >> 16);
  req[2] = (char)(body >> 8);
  req[3] = (char)body;
  if (write_all(fd, req, len, 1) != 0) {
    close(fd);
    run_node(argv, 0);
  }
  free(req);

  /*
   * The frames: 'a' (the command runs), its output, then 'x' and the exit code. Before 'a' nothing
   * was done, and Node runs the command instead ('r', or a socket closed); after it, the command
   * may have taken effect, and it is never run twice.
   */
  char *buf = NULL;
  for (int started = 0;;) {
    unsigned char head[5];
    if (read_all(fd, head, 5) != 0) {
      if (!started) {
        close(fd);
        run_node(argv, 0);
      }
      return stopped();
    }
    uint32_t size = (uint32_t)head[1] << 24 | (uint32_t)head[2] << 16 | (uint32_t)head[3] << 8 | head[4];
    if (size > (64u << 20)) {
      fprintf(stderr, "ccr: the agent sent a frame too large to be one\n");
      return 1;
    }
    buf = realloc(buf, size + 1);
    if (!buf || read_all(fd, buf, size) != 0) {
      return stopped();
    }
    buf[size] = '\0';
    if (!started && head[0] == 'r') {
      close(fd);
      run_node(argv, 0);
    }
    if (head[0] == 'a') started = 1;
    else if (head[0] == 'x') return atoi(buf);
    else if (head[0] == 'o') write_all(1, buf, size, 0);
    else if (head[0] == 'e') write_all(2, buf, size, 0);
  }
}

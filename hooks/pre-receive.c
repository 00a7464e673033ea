/*
 * CCR pre-receive hook, compiled: the same thin client of the validator as hooks/pre-receive (the
 * bash script), without a shell's start. It forwards the ref lines (stdin), the quarantine
 * variables and the per-request token to the server over loopback HTTP, prints the verdict's
 * lines (git shows them as `remote:` lines), and exits 0 only if the server answered "accept".
 * Anything else refuses: fail closed. `npm run build` compiles it into dist/hooks/pre-receive when
 * a C compiler is there; without one the server runs the bash script (git/hooks.ts).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_REFS (64 << 20)  /* ref lines read from git: ~100 bytes a ref */
#define MAX_ANSWER (1 << 20) /* the verdict and its lines, as the bash client's read -N */

static void fail(const char *why) {
  fprintf(stderr, "ccr: %s; the push is refused\n", why);
  exit(1);
}

static int all_of(const char *s, const char *set) {
  if (*s == '\0') return 0;
  for (; *s; s++)
    if (!strchr(set, *s)) return 0;
  return 1;
}

static const char *env_or(const char *name, const char *otherwise) {
  const char *v = getenv(name);
  return v ? v : otherwise;
}

static void send_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL); /* a server gone is an error here, not a signal */
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) fail("the validator is not reachable");
    p += w;
    n -= (size_t)w;
  }
}

int main(void) {
  const char *port = env_or("CCR_HOOK_PORT", "");
  const char *token = env_or("CCR_HOOK_TOKEN", "");
  if (!all_of(port, "0123456789") || strlen(port) > 5 || strlen(token) != 64 || !all_of(token, "0123456789abcdef"))
    fail("this repository is served by CCR only through its server");
  const char *seconds = env_or("CCR_HOOK_TIMEOUT", "60");
  if (!all_of(seconds, "0123456789") || strlen(seconds) > 9 || atol(seconds) == 0)
    fail("CCR_HOOK_TIMEOUT is not a whole number of seconds");
  long timeout = atol(seconds) > 86400 ? 86400 : atol(seconds);

  /* All of stdin: git writes every ref line, then closes it. */
  size_t nrefs = 0, size = 1 << 16;
  char *refs = malloc(size);
  for (;;) {
    if (!refs) fail("out of memory for the ref lines");
    ssize_t r = read(0, refs + nrefs, size - nrefs);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail("the ref lines could not be read");
    if (r == 0) break;
    nrefs += (size_t)r;
    if (nrefs == size) {
      if (size == MAX_REFS) fail("too many ref lines");
      size *= 2;
      refs = realloc(refs, size);
    }
  }

  const char *quarantine = env_or("GIT_QUARANTINE_PATH", ""), *objects = env_or("GIT_OBJECT_DIRECTORY", ""),
             *alternates = env_or("GIT_ALTERNATE_OBJECT_DIRECTORIES", "");
  size_t room = strlen(token) + strlen(quarantine) + strlen(objects) + strlen(alternates) + 256;
  char *request = malloc(room);
  if (!request) fail("out of memory for the request");
  int nhead = snprintf(request, room, "quarantine %s\nobjects %s\nalternates %s\n\n", quarantine, objects, alternates);
  if (nhead < 0 || (size_t)nhead >= room) fail("the request could not be made");
  char *head = strdup(request);
  if (!head) fail("out of memory for the request");
  int nrequest = snprintf(request, room,
                          "POST /hook HTTP/1.0\r\nHost: 127.0.0.1\r\nX-CCR-Token: %s\r\n"
                          "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s",
                          token, (size_t)nhead + nrefs, head);
  if (nrequest < 0 || (size_t)nrequest >= room) fail("the request could not be made");

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(port))};
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || atoi(port) > 65535 || connect(fd, (struct sockaddr *)&to, sizeof to) != 0)
    fail("the validator is not reachable");
  send_all(fd, request, (size_t)nrequest);
  send_all(fd, refs, nrefs);

  /* The whole answer: the server closes the connection after it (HTTP/1.0, Connection: close). */
  static char answer[MAX_ANSWER + 1];
  size_t n = 0;
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long left = timeout * 1000 - ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int ready = left > 0 ? poll(&p, 1, (int)left) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) fail("the validator did not answer in time");
    if (ready < 0) fail("the validator's answer could not be read");
    ssize_t r = read(fd, answer + n, MAX_ANSWER - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail("the validator's answer could not be read");
    if (r == 0) break;
    n += (size_t)r;
    if (n == MAX_ANSWER) fail("the validator's answer is too long");
  }
  answer[n] = '\0';
  if (memchr(answer, '\0', n)) fail("the validator's answer is not text");

  /* The status line is what comes before the first CRLF; the body, after the first empty line. */
  if (n == 0) fail("the validator answered nothing");
  char *eol = strstr(answer, "\r\n");
  int status = eol ? (int)(eol - answer) : (int)n;
  if (status < 13 || strncmp(answer, "HTTP/1.", 7) != 0 || strncmp(answer + 8, " 200 ", 5) != 0) {
    char why[160];
    snprintf(why, sizeof why, "the validator answered %.*s", status > 100 ? 100 : status, answer);
    fail(why);
  }
  char *body = strstr(answer, "\r\n\r\n");
  if (!body) fail("the validator's answer was cut short");
  body += 4;
  char *nl = strchr(body, '\n');
  if (nl) {
    *nl = '\0';
    fputs(nl + 1, stderr);
  }
  return strcmp(body, "accept") == 0 ? 0 : 1;
}

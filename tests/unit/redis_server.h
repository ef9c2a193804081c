/* redis_server.h - a throwaway redis-server for the unit tests of the Redis stores: started with
 * fork/exec on a free loopback port in its own temporary directory (no persistence unless asked),
 * waited for until it answers PING, stopped by PID (SIGTERM, SIGKILL after 3 s) and its directory
 * removed. REDIS_SERVER overrides /usr/bin/redis-server. Header-only, like testlib.h. */
#ifndef HUB_TEST_REDIS_SERVER_H
#define HUB_TEST_REDIS_SERVER_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct test_redis {
    pid_t pid;
    int port;
    char dir[128];
    char url[64];
};

static int test_redis_free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
    if (fd < 0) return -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static void test_redis_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* 1 when something on port answers PING with +PONG. */
static int test_redis_ping(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((uint16_t)port)};
    char buf[16] = "";
    int fd = socket(AF_INET, SOCK_STREAM, 0), ok = 0;
    if (fd < 0) return 0;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0 && write(fd, "PING\r\n", 6) == 6 &&
        read(fd, buf, sizeof buf - 1) > 0)
        ok = strncmp(buf, "+PONG", 5) == 0;
    close(fd);
    return ok;
}

/* Starts redis-server on r->port (0: a free one; r->dir kept when set, for a restart) with extra
 * arguments (NULL-terminated, may be NULL). Returns 0, or -1 (it did not answer within 5 s). */
static int test_redis_start(struct test_redis *r, const char *const *extra)
{
    const char *bin = getenv("REDIS_SERVER") ? getenv("REDIS_SERVER") : "/usr/bin/redis-server";
    char port[16];
    if (access(bin, X_OK) != 0) return -1;
    if (!r->port && (r->port = test_redis_free_port()) < 0) return -1;
    if (!r->dir[0]) {
        snprintf(r->dir, sizeof r->dir, "/tmp/hubbub-unit-redis-XXXXXX");
        if (!mkdtemp(r->dir)) return -1;
    }
    snprintf(port, sizeof port, "%d", r->port);
    snprintf(r->url, sizeof r->url, "redis://127.0.0.1:%d", r->port);
    const char *argv[32] = {bin, "--port",       port, "--bind", "127.0.0.1", "--save",
                            "",  "--appendonly", "no", "--dir",  r->dir,      "--protected-mode",
                            "no"};
    size_t n = 13;
    for (size_t i = 0; extra && extra[i] && n < 31; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    r->pid = pid;
    for (int i = 0; i < 500; i++) {
        if (test_redis_ping(r->port)) return 0;
        test_redis_sleep_ms(10);
    }
    return -1;
}

/* Stops it by PID (the directory stays, for a restart). */
static void test_redis_stop(struct test_redis *r)
{
    int status;
    if (r->pid <= 0) return;
    kill(r->pid, SIGTERM);
    for (int i = 0; i < 300; i++) {
        if (waitpid(r->pid, &status, WNOHANG) == r->pid) {
            r->pid = 0;
            return;
        }
        test_redis_sleep_ms(10);
    }
    kill(r->pid, SIGKILL);
    waitpid(r->pid, &status, 0);
    r->pid = 0;
}

/* Stops it and removes its directory. */
static void test_redis_cleanup(struct test_redis *r)
{
    char cmd[200];
    test_redis_stop(r);
    if (r->dir[0] && strncmp(r->dir, "/tmp/hubbub-unit-redis-", 23) == 0) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", r->dir);
        if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", r->dir);
    }
    r->dir[0] = '\0';
}

#endif

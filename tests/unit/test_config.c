/* test_config.c - the config file, the flags and their error messages (hub/config.c). */
#include "config.h"
#include "bus_config.h"
#include "aws_config.h"
#include "hub_alloc.h"
#include "hub_err.h"
#include "sns_test_key.h"
#include "testlib.h"

#include <dirent.h>
#include <jansson.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/hubbub-test-config-XXXXXX";
static char err[512];

/* Writes text to a new file in tmpdir and returns its path (a static buffer per call slot). */
static const char *write_file(const char *name, const char *text)
{
    static char paths[8][256];
    static int slot;
    char *path = paths[slot++ % 8];
    FILE *f;

    snprintf(path, 256, "%s/%s", tmpdir, name);
    f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
    return path;
}

/* Loads text as a config file over the defaults; leaves the result in cfg (free it). */
static int load_text(struct hub_config *cfg, const char *text)
{
    const char *file = write_file("c.json", text);

    hub_config_init(cfg);
    err[0] = '\0';
    return hub_config_load(cfg, file, err, sizeof(err));
}

/* Checks that loading text fails with code and that the message contains want. */
#define CHECK_LOAD_ERR(text, code, want)                                                           \
    do {                                                                                           \
        struct hub_config c_;                                                                      \
        CHECK_INT(load_text(&c_, text), code);                                                     \
        if (!strstr(err, want)) {                                                                  \
            tl_failed++;                                                                           \
            fprintf(stderr, "%s:%d: message \"%s\" lacks \"%s\"\n", __FILE__, __LINE__, err,       \
                    want);                                                                         \
        }                                                                                          \
        hub_config_free(&c_);                                                                      \
    } while (0)

static int parse(struct hub_config *cfg, char **argv)
{
    int argc = 0;

    while (argv[argc])
        argc++;
    err[0] = '\0';
    return hub_config_parse_args(cfg, argc, argv, err, sizeof(err));
}

static void test_defaults(void)
{
    struct hub_config cfg;

    CHECK_INT(hub_config_init(&cfg), 0);
    CHECK_STR(cfg.host, "0.0.0.0");
    CHECK_INT(cfg.port, 3000);
    CHECK_STR(cfg.path, "/socket.io/");
    CHECK_INT(cfg.ping_interval_ms, 25000);
    CHECK_INT(cfg.ping_timeout_ms, 20000);
    CHECK_INT(cfg.connect_timeout_ms, 45000);
    CHECK_INT(cfg.upgrade_timeout_ms, 10000);
    CHECK_INT(cfg.max_payload, 1000000);
    CHECK_INT(cfg.max_buffered_bytes, 8 * 1024 * 1024);
    CHECK_INT(cfg.max_rooms_per_socket, 1000);
    CHECK_INT(cfg.max_attachments, 256);
    CHECK_INT(cfg.allow_eio3, 0);
    CHECK(cfg.engine_echo_path == NULL);
    CHECK_INT(cfg.cors_any, 0);
    CHECK(cfg.cors_origins == NULL);
    CHECK_INT(cfg.cors_credentials, 0);
    CHECK_INT(cfg.log_level, HUB_LOG_INFO);
    CHECK_INT(cfg.has_namespaces, 0);
    CHECK_INT(cfg.nnamespaces, 0);
    CHECK(hub_config_nsp(&cfg, "/") == NULL);
    CHECK(cfg.config_file == NULL);
    CHECK_STR(cfg.web_root, HUB_WEB_ROOT); /* not installed: the source tree's */
    CHECK_STR(cfg.client_bundle_dir, HUB_CLIENT_DIR);
    CHECK_INT(cfg.serve_client, 1);
    hub_config_free(&cfg);
    CHECK(cfg.host == NULL);
    hub_config_free(&cfg); /* twice is fine: it was left zeroed */
}

static void test_full_file(void)
{
    struct hub_config cfg;

    CHECK_INT(load_text(&cfg, "{\n"
                              "  \"port\": 8080,\n"
                              "  \"host\": \"127.0.0.1\",\n"
                              "  \"path\": \"/rt\",\n"
                              "  \"pingInterval\": 300,\n"
                              "  \"pingTimeout\": 200,\n"
                              "  \"connectTimeout\": 1000,\n"
                              "  \"upgradeTimeout\": 500,\n"
                              "  \"maxPayload\": 2048,\n"
                              "  \"maxBufferedBytes\": 65536,\n"
                              "  \"maxRoomsPerSocket\": 10,\n"
                              "  \"maxAttachments\": 0,\n"
                              "  \"allowEIO3\": true,\n"
                              "  \"engineEchoPath\": \"/engine.io/\",\n"
                              "  \"cors\": {\"origin\": \"https://a.example\",\n"
                              "           \"credentials\": true},\n"
                              "  \"logLevel\": \"debug\",\n"
                              "  \"namespaces\": {\"/\": {\"app\": \"echo\"}, \"/chat\": {\"app\": "
                              "\"relay\"}, \"/c\": {\"app\": \"none\"}, \"/d\": {}}\n"
                              "}\n"),
              0);
    CHECK_STR(err, "");
    CHECK_INT(cfg.port, 8080);
    CHECK_STR(cfg.host, "127.0.0.1");
    CHECK_STR(cfg.path, "/rt/"); /* a trailing '/' is added */
    CHECK_INT(cfg.ping_interval_ms, 300);
    CHECK_INT(cfg.ping_timeout_ms, 200);
    CHECK_INT(cfg.connect_timeout_ms, 1000);
    CHECK_INT(cfg.upgrade_timeout_ms, 500);
    CHECK_INT(cfg.max_payload, 2048);
    CHECK_INT(cfg.max_buffered_bytes, 65536);
    CHECK_INT(cfg.max_rooms_per_socket, 10);
    CHECK_INT(cfg.max_attachments, 0);
    CHECK_INT(cfg.allow_eio3, 1);
    CHECK_STR(cfg.engine_echo_path, "/engine.io/");
    CHECK_INT(cfg.cors_any, 0);
    CHECK(cfg.cors_origins && cfg.cors_origins[0] && !cfg.cors_origins[1]);
    if (cfg.cors_origins)
        CHECK_STR(cfg.cors_origins[0], "https://a.example");
    CHECK_INT(cfg.cors_credentials, 1);
    CHECK_INT(cfg.log_level, HUB_LOG_DEBUG);
    CHECK_INT(cfg.has_namespaces, 1);
    CHECK_INT(cfg.nnamespaces, 4);
    if (cfg.nnamespaces == 4) { /* in file order */
        CHECK_STR(cfg.namespaces[0].name, "/");
        CHECK_STR(cfg.namespaces[1].name, "/chat");
        CHECK_STR(cfg.namespaces[3].name, "/d");
    }
    CHECK(hub_config_nsp(&cfg, "/") && hub_config_nsp(&cfg, "/")->app == HUB_APP_ECHO);
    CHECK(hub_config_nsp(&cfg, "/chat") && hub_config_nsp(&cfg, "/chat")->app == HUB_APP_RELAY);
    CHECK(hub_config_nsp(&cfg, "/c") && hub_config_nsp(&cfg, "/c")->app == HUB_APP_NONE);
    CHECK(hub_config_nsp(&cfg, "/d") && hub_config_nsp(&cfg, "/d")->app == HUB_APP_NONE);
    CHECK(hub_config_nsp(&cfg, "/nope") == NULL);
    CHECK(cfg.config_file && strstr(cfg.config_file, "c.json"));
    hub_config_free(&cfg);
}

static void test_partial_file_keeps_defaults(void)
{
    struct hub_config cfg;

    CHECK_INT(load_text(&cfg, "{\"port\": 0, \"engineEchoPath\": null}"), 0);
    CHECK_INT(cfg.port, 0);
    CHECK_STR(cfg.host, "0.0.0.0");
    CHECK_INT(cfg.ping_interval_ms, 25000);
    CHECK(cfg.engine_echo_path == NULL);
    hub_config_free(&cfg);

    CHECK_INT(load_text(&cfg, "{}"), 0);
    CHECK_INT(cfg.port, 3000);
    hub_config_free(&cfg);

    /* An empty namespaces map is a decision too: no namespace at all. */
    CHECK_INT(load_text(&cfg, "{\"namespaces\": {}}"), 0);
    CHECK_INT(cfg.has_namespaces, 1);
    CHECK_INT(cfg.nnamespaces, 0);
    CHECK(hub_config_nsp(&cfg, "/") == NULL);
    hub_config_free(&cfg);
}

static void test_conformance_file(void)
{
    struct hub_config cfg;
    const char *dir = getenv("HUB_TEST_DATA"), *unit = strstr(__FILE__, "unit/test_config.c");
    char file[512];

    /* ctest sets HUB_TEST_DATA; run by hand, the file is found from this source file's path. */
    if (dir)
        snprintf(file, sizeof(file), "%s/conformance.json", dir);
    else
        snprintf(file, sizeof(file), "%.*sconformance.json", (int)(unit ? unit - __FILE__ : 0),
                 __FILE__);
    hub_config_init(&cfg);
    CHECK_INT(hub_config_load(&cfg, file, err, sizeof(err)), 0);
    CHECK_INT(cfg.ping_interval_ms, 300);
    CHECK_INT(cfg.ping_timeout_ms, 200);
    CHECK_INT(cfg.connect_timeout_ms, 1000);
    CHECK_STR(cfg.engine_echo_path, "/engine.io/");
    CHECK(hub_config_nsp(&cfg, "/") && hub_config_nsp(&cfg, "/")->app == HUB_APP_ECHO);
    CHECK(hub_config_nsp(&cfg, "/custom") &&
          hub_config_nsp(&cfg, "/custom")->app == HUB_APP_ECHO);
    CHECK_INT(cfg.port, 3000);
    hub_config_free(&cfg);
}

static void test_unknown_keys(void)
{
    char want[512];

    /* The message names file, line and key path. */
    snprintf(want, sizeof(want), "%s/c.json:3: bogus: unknown key", tmpdir);
    CHECK_LOAD_ERR("{\n  \"port\": 1,\n  \"bogus\": 2\n}\n", HUB_EINVAL, want);
    CHECK_LOAD_ERR("{\n  \"pinginterval\": 1\n}", HUB_EINVAL, ":2: pinginterval: unknown key");
    CHECK_LOAD_ERR("{\"namespaces\": {\n"
                   "  \"/\": {\"app\": \"echo\"},\n"
                   "  \"/chat\": {\n"
                   "    \"app\": \"echo\",\n"
                   "    \"ap\": \"relay\"}}}",
                   HUB_EINVAL, ":5: namespaces./chat.ap: unknown key");
    CHECK_LOAD_ERR("{\"cors\":\n {\"origin\": \"*\",\n  \"credential\": true}}", HUB_EINVAL,
                   ":3: cors.credential: unknown key");
    /* The same name nested earlier is not taken for the top-level key. */
    CHECK_LOAD_ERR("{\"cors\": {\"credentials\": true},\n\"credentials\": true}", HUB_EINVAL,
                   ":2: credentials: unknown key");
    CHECK_LOAD_ERR("{\"namespaces\": {\"/a\": {\"x\": 1},\n \"/b\": {\"app\": \"echo\"}}}",
                   HUB_EINVAL, ":1: namespaces./a.x: unknown key");
    /* Written with escapes, the key cannot be found in the text: no line, still the key. */
    {
        struct hub_config c;
        CHECK_INT(load_text(&c, "{\n\"bo\\u0067us\": 1}"), HUB_EINVAL);
        snprintf(want, sizeof(want), "%s/c.json: bogus: unknown key", tmpdir);
        CHECK_STR(err, want);
        hub_config_free(&c);
    }
}

static void test_bad_values(void)
{
    CHECK_LOAD_ERR("{\n\"port\": \"80\"}", HUB_EINVAL,
                   ":2: port: must be an integer from 0 to 65535");
    CHECK_LOAD_ERR("{\"port\": 65536}", HUB_EINVAL, ":1: port: 65536 is out of range (0 to 65535)");
    CHECK_LOAD_ERR("{\"port\": -1}", HUB_EINVAL, "port: -1 is out of range");
    CHECK_LOAD_ERR("{\"port\": 80.0}", HUB_EINVAL, "port: must be an integer");
    CHECK_LOAD_ERR("{\"pingInterval\": 0}", HUB_EINVAL, "pingInterval: 0 is out of range");
    CHECK_LOAD_ERR("{\"pingTimeout\": -5}", HUB_EINVAL, "pingTimeout: -5 is out of range");
    CHECK_LOAD_ERR("{\"connectTimeout\": null}", HUB_EINVAL, "connectTimeout: must be an integer");
    CHECK_LOAD_ERR("{\"upgradeTimeout\": 999999999999}", HUB_EINVAL, "upgradeTimeout: ");
    CHECK_LOAD_ERR("{\"maxPayload\": 0}", HUB_EINVAL, "maxPayload: 0 is out of range");
    CHECK_LOAD_ERR("{\"maxBufferedBytes\": true}", HUB_EINVAL, "maxBufferedBytes: must be an");
    CHECK_LOAD_ERR("{\"maxRoomsPerSocket\": 0}", HUB_EINVAL, "maxRoomsPerSocket: 0 is out");
    CHECK_LOAD_ERR("{\"maxAttachments\": -1}", HUB_EINVAL, "maxAttachments: -1 is out");
    CHECK_LOAD_ERR("{\"allowEIO3\": \"yes\"}", HUB_EINVAL, "allowEIO3: must be true or false");
    CHECK_LOAD_ERR("{\"allowEIO3\": 1}", HUB_EINVAL, "allowEIO3: must be true or false");
    CHECK_LOAD_ERR("{\"host\": 1}", HUB_EINVAL, "host: must be a string");
    CHECK_LOAD_ERR("{\"host\": \"\"}", HUB_EINVAL, "host: must not be empty");
    CHECK_LOAD_ERR("{\"host\": \"a\\u0000b\"}", HUB_EPARSE, "invalid JSON"); /* jansson refuses */
    CHECK_LOAD_ERR("{\"path\": \"socket.io/\"}", HUB_EINVAL, "path: must start with '/'");
    CHECK_LOAD_ERR("{\"path\": \"/a b/\"}", HUB_EINVAL, "path: must be a plain URL path");
    CHECK_LOAD_ERR("{\"path\": \"/a?b\"}", HUB_EINVAL, "path: must be a plain URL path");
    CHECK_LOAD_ERR("{\"engineEchoPath\": false}", HUB_EINVAL, "engineEchoPath: must be a string");
    CHECK_LOAD_ERR("{\"logLevel\": \"loud\"}", HUB_EINVAL,
                   "logLevel: must be one of \"error\", \"warn\", \"info\", \"debug\"");
    CHECK_LOAD_ERR("{\"logLevel\": 3}", HUB_EINVAL, "logLevel: must be one of");
    CHECK_LOAD_ERR("{\"namespaces\": []}", HUB_EINVAL, "namespaces: must be an object");
    CHECK_LOAD_ERR("{\"namespaces\": {\n\"chat\": {}}}", HUB_EINVAL,
                   ":2: namespaces.chat: a namespace name must start with '/'");
    CHECK_LOAD_ERR("{\"namespaces\": {\"/\": \"echo\"}}", HUB_EINVAL,
                   ":1: namespaces./: must be an object");
    CHECK_LOAD_ERR("{\"namespaces\": {\"/\": {\n\"app\": \"chat\"}}}", HUB_EINVAL,
                   ":2: namespaces./.app: must be one of \"none\", \"echo\", \"relay\"");
    CHECK_LOAD_ERR("[1, 2]", HUB_EINVAL, "c.json: the config must be a JSON object");
}

static void test_bad_json(void)
{
    char want[512];

    snprintf(want, sizeof(want), "%s/c.json:3:", tmpdir);
    CHECK_LOAD_ERR("{\n  \"port\": 1,\n  \"host\": }\n", HUB_EPARSE, want);
    CHECK_LOAD_ERR("{\n  \"port\": 1,\n  \"host\": }\n", HUB_EPARSE, "invalid JSON");
    CHECK_LOAD_ERR("", HUB_EPARSE, "c.json:1:");
    CHECK_LOAD_ERR("{\"port\": 1} trailing", HUB_EPARSE, "c.json:1:");
    CHECK_LOAD_ERR("{\"port\": 1,\n \"port\": 2}", HUB_EPARSE, "c.json:2:");
    CHECK_LOAD_ERR("{\"port\": 1,\n \"port\": 2}", HUB_EPARSE, "duplicate");
}

static void test_web_keys(void)
{
    struct hub_config cfg;
    const char *bad = write_file("web-bad.json", "{\"webRoot\": \"/elsewhere\", \"nope\": 1}");

    CHECK_INT(load_text(&cfg, "{\"webRoot\": \"/srv/www\", \"clientBundleDir\": \"/opt/sio\",\n"
                              " \"serveClient\": false}"),
              0);
    CHECK_STR(cfg.web_root, "/srv/www");
    CHECK_STR(cfg.client_bundle_dir, "/opt/sio");
    CHECK_INT(cfg.serve_client, 0);
    /* a failed load keeps them (they are copied with the rest) */
    CHECK_INT(hub_config_load(&cfg, bad, err, sizeof(err)), HUB_EINVAL);
    CHECK_STR(cfg.web_root, "/srv/www");
    CHECK_STR(cfg.client_bundle_dir, "/opt/sio");
    hub_config_free(&cfg);
    CHECK_LOAD_ERR("{\"webRoot\": 1}", HUB_EINVAL, ":1: webRoot: must be a string");
    CHECK_LOAD_ERR("{\"webRoot\": \"\"}", HUB_EINVAL, "webRoot: must not be empty");
    CHECK_LOAD_ERR("{\"clientBundleDir\": null}", HUB_EINVAL, "clientBundleDir: must be a string");
    CHECK_LOAD_ERR("{\n\"serveClient\": \"yes\"}", HUB_EINVAL,
                   ":2: serveClient: must be true or false");
}

static void test_redis_keys(void)
{
    struct hub_config cfg;
    struct hub_redis_url u;

    hub_config_init(&cfg);
    CHECK(cfg.redis == NULL);
    CHECK_STR(cfg.redis_key, "socket.io");
    CHECK_INT(cfg.redis_requests_timeout_ms, 5000);
    hub_config_free(&cfg);

    CHECK_INT(load_text(&cfg, "{\"redis\": \"redis://127.0.0.1:6390/2\", \"redisKey\": \"app\",\n"
                              " \"redisRequestsTimeout\": 1500,\n"
                              " \"namespaces\": {\"/\": {\"app\": \"cluster\"}}}"),
              0);
    CHECK_STR(cfg.redis, "redis://127.0.0.1:6390/2");
    CHECK_STR(cfg.redis_key, "app");
    CHECK_INT(cfg.redis_requests_timeout_ms, 1500);
    CHECK(hub_config_nsp(&cfg, "/") && hub_config_nsp(&cfg, "/")->app == HUB_APP_CLUSTER);
    /* --redis overrides the file; a later file's null turns the cluster off */
    CHECK_INT(parse(&cfg, (char *[]){"hubbub", "--redis", "redis://h", NULL}), 0);
    CHECK_STR(cfg.redis, "redis://h");
    hub_config_free(&cfg);
    CHECK_INT(load_text(&cfg, "{\"redis\": null}"), 0);
    CHECK(cfg.redis == NULL);
    hub_config_free(&cfg);

    CHECK_LOAD_ERR("{\"redis\": \"http://h\"}", HUB_EINVAL, ":1: redis: must be a redis:// URL");
    CHECK_LOAD_ERR("{\n\"redis\": \"redis://h:0\"}", HUB_EINVAL, ":2: redis: the port must be");
    CHECK_LOAD_ERR("{\"redis\": \"redis://h:1/x\"}", HUB_EINVAL, "redis: the database must be");
    CHECK_LOAD_ERR("{\"redis\": \"redis:///0\"}", HUB_EINVAL, "redis: the host is missing");
    CHECK_LOAD_ERR("{\"redis\": 6379}", HUB_EINVAL, "redis: must be a string");
    CHECK_LOAD_ERR("{\"redisKey\": \"a*\"}", HUB_EINVAL, "redisKey: must not contain");
    CHECK_LOAD_ERR("{\"redisKey\": \"\"}", HUB_EINVAL, "redisKey: must not be empty");
    CHECK_LOAD_ERR("{\"redisRequestsTimeout\": 0}", HUB_EINVAL, "redisRequestsTimeout: 0 is out");
    CHECK_LOAD_ERR("{\"namespaces\": {\"/\": {\"app\": \"x\"}}}", HUB_EINVAL, "\"cluster\"");
    hub_config_init(&cfg);
    CHECK_INT(parse(&cfg, (char *[]){"hubbub", "--redis", "localhost:6379", NULL}), HUB_EINVAL);
    CHECK(strstr(err, "--redis: 'localhost:6379' must be a redis:// URL") != NULL);
    CHECK(cfg.redis == NULL);
    hub_config_free(&cfg);

    /* the URL forms */
    CHECK_INT(hub_config_redis_url("redis://cache", &u, err, sizeof(err)), 0);
    CHECK_STR(u.host, "cache");
    CHECK_INT(u.port, 6379);
    CHECK_INT(u.db, 0);
    CHECK_STR(u.user, "");
    CHECK_STR(u.password, "");
    CHECK_INT(hub_config_redis_url("redis://:s%40cret@10.0.0.1:7000/3", &u, err, sizeof(err)), 0);
    CHECK_STR(u.host, "10.0.0.1");
    CHECK_INT(u.port, 7000);
    CHECK_INT(u.db, 3);
    CHECK_STR(u.password, "s@cret");
    CHECK_INT(hub_config_redis_url("redis://app:pw@[::1]:6380/", &u, err, sizeof(err)), 0);
    CHECK_STR(u.host, "::1");
    CHECK_INT(u.port, 6380);
    CHECK_STR(u.user, "app");
    CHECK_STR(u.password, "pw");
    CHECK_INT(hub_config_redis_url("redis://h:70000", &u, err, sizeof(err)), HUB_EINVAL);
    CHECK_INT(hub_config_redis_url("redis://[::1", &u, err, sizeof(err)), HUB_EINVAL);
    CHECK_INT(hub_config_redis_url("redis://pw@h", &u, err, sizeof(err)), HUB_EINVAL);
    CHECK_INT(hub_config_redis_url("redis://:%4@h", &u, err, sizeof(err)), HUB_EINVAL);
    CHECK_INT(hub_config_redis_url("redis://:%00@h", &u, err, sizeof(err)), HUB_EINVAL);
}

static void test_unreadable_file(void)
{
    struct hub_config cfg;
    char file[300];

    hub_config_init(&cfg);
    snprintf(file, sizeof(file), "%s/missing.json", tmpdir);
    CHECK_INT(hub_config_load(&cfg, file, err, sizeof(err)), HUB_EIO);
    CHECK(strstr(err, file) != NULL);
    CHECK(strstr(err, "No such file") != NULL);
    CHECK_INT(hub_config_load(&cfg, tmpdir, err, sizeof(err)), HUB_EIO);
    CHECK(strstr(err, tmpdir) != NULL);
    CHECK(strstr(err, "directory") != NULL);
    CHECK(cfg.config_file == NULL);
    hub_config_free(&cfg);
}

static void test_failed_load_changes_nothing(void)
{
    struct hub_config cfg;
    const char *good = write_file("good.json", "{\"port\": 1234, \"cors\": \"*\", "
                                               "\"namespaces\": {\"/\": {\"app\": \"echo\"}}}");
    const char *bad = write_file("bad.json", "{\"port\": 99, \"cors\": [\"https://x\"], "
                                             "\"namespaces\": {\"/q\": {}}, \"nope\": 1}");

    hub_config_init(&cfg);
    CHECK_INT(hub_config_load(&cfg, good, err, sizeof(err)), 0);
    CHECK_INT(hub_config_load(&cfg, bad, err, sizeof(err)), HUB_EINVAL);
    CHECK_INT(cfg.port, 1234);
    CHECK_INT(cfg.cors_any, 1);
    CHECK(cfg.cors_origins == NULL);
    CHECK_INT(cfg.nnamespaces, 1);
    CHECK(hub_config_nsp(&cfg, "/") != NULL);
    CHECK_STR(cfg.config_file, good);
    hub_config_free(&cfg);
}

static void test_later_file_replaces_maps(void)
{
    struct hub_config cfg;
    const char *a = write_file("a.json", "{\"cors\": {\"origin\": [\"https://a\"], "
                                         "\"credentials\": true}, "
                                         "\"namespaces\": {\"/a\": {\"app\": \"echo\"}}}");
    const char *b = write_file("b.json", "{\"cors\": \"https://b:8443\", "
                                         "\"namespaces\": {\"/b\": {\"app\": \"relay\"}}}");

    hub_config_init(&cfg);
    CHECK_INT(hub_config_load(&cfg, a, err, sizeof(err)), 0);
    CHECK_INT(hub_config_load(&cfg, b, err, sizeof(err)), 0);
    CHECK(hub_config_nsp(&cfg, "/a") == NULL);
    CHECK(hub_config_nsp(&cfg, "/b") && hub_config_nsp(&cfg, "/b")->app == HUB_APP_RELAY);
    CHECK_INT(cfg.nnamespaces, 1);
    CHECK(cfg.cors_origins && cfg.cors_origins[0] && !cfg.cors_origins[1]);
    if (cfg.cors_origins)
        CHECK_STR(cfg.cors_origins[0], "https://b:8443");
    CHECK_INT(cfg.cors_credentials, 0);
    CHECK_STR(cfg.config_file, b);
    hub_config_free(&cfg);
}

static void test_cors_forms(void)
{
    struct hub_config cfg;

    CHECK_INT(load_text(&cfg, "{\"cors\": \"*\"}"), 0);
    CHECK_INT(cfg.cors_any, 1);
    CHECK(cfg.cors_origins == NULL);
    hub_config_free(&cfg);

    CHECK_INT(load_text(&cfg, "{\"cors\": \"http://localhost:3000\"}"), 0);
    CHECK_INT(cfg.cors_any, 0);
    CHECK(cfg.cors_origins && cfg.cors_origins[0] && !cfg.cors_origins[1]);
    if (cfg.cors_origins)
        CHECK_STR(cfg.cors_origins[0], "http://localhost:3000");
    hub_config_free(&cfg);

    CHECK_INT(load_text(&cfg, "{\"cors\": [\"https://a\", \"https://b\"]}"), 0);
    CHECK(cfg.cors_origins && cfg.cors_origins[0] && cfg.cors_origins[1] && !cfg.cors_origins[2]);
    if (cfg.cors_origins && cfg.cors_origins[0] && cfg.cors_origins[1]) {
        CHECK_STR(cfg.cors_origins[0], "https://a");
        CHECK_STR(cfg.cors_origins[1], "https://b");
    }
    hub_config_free(&cfg);

    CHECK_INT(load_text(&cfg, "{\"cors\": {\"origin\": \"*\", \"credentials\": true}}"), 0);
    CHECK_INT(cfg.cors_any, 1);
    CHECK_INT(cfg.cors_credentials, 1);
    hub_config_free(&cfg);

    CHECK_INT(load_text(&cfg, "{\"cors\": {\"origin\": [\"https://a\", \"*\"]}}"), 0);
    CHECK_INT(cfg.cors_any, 1);
    CHECK(cfg.cors_origins && cfg.cors_origins[0] && !cfg.cors_origins[1]);
    CHECK_INT(cfg.cors_credentials, 0);
    hub_config_free(&cfg);

    CHECK_INT(load_text(&cfg, "{\"cors\": []}"), 0); /* no origin allowed */
    CHECK_INT(cfg.cors_any, 0);
    CHECK(cfg.cors_origins == NULL);
    hub_config_free(&cfg);

    CHECK_INT(load_text(&cfg, "{\"cors\": {}}"), 0);
    CHECK_INT(cfg.cors_any, 0);
    hub_config_free(&cfg);

    CHECK_LOAD_ERR("{\"cors\": true}", HUB_EINVAL, "cors: must be \"*\", an origin or an array");
    CHECK_LOAD_ERR("{\"cors\": 5}", HUB_EINVAL, "cors: must be \"*\"");
    CHECK_LOAD_ERR("{\"cors\": \"\"}", HUB_EINVAL, "cors: must not be empty");
    CHECK_LOAD_ERR("{\"cors\": \"https://a.example/\"}", HUB_EINVAL,
                   "cors: \"https://a.example/\" is not an origin");
    CHECK_LOAD_ERR("{\"cors\": \"a.example\"}", HUB_EINVAL, "is not an origin");
    CHECK_LOAD_ERR("{\"cors\": [\"https://a\",\n 7]}", HUB_EINVAL, ":2: cors[1]: must be a string");
    CHECK_LOAD_ERR("{\"cors\": {\"origin\": [\n\"https://a\",\n\"ftp//b\"]}}", HUB_EINVAL,
                   ":3: cors.origin[1]: \"ftp//b\" is not an origin");
    CHECK_LOAD_ERR("{\"cors\": {\"credentials\": \"yes\"}}", HUB_EINVAL,
                   "cors.credentials: must be true or false");
}

static void test_flags(void)
{
    struct hub_config cfg;

    hub_config_init(&cfg);
    CHECK_INT(parse(&cfg, (char *[]){"hubbub", NULL}), 0);
    CHECK_INT(cfg.port, 3000);
    CHECK_INT(parse(&cfg, (char *[]){"hubbub", "--port", "8080", "--host", "::1", "--log-level",
                                     "debug", NULL}),
              0);
    CHECK_INT(cfg.port, 8080);
    CHECK_STR(cfg.host, "::1");
    CHECK_INT(cfg.log_level, HUB_LOG_DEBUG);
    CHECK_INT(parse(&cfg, (char *[]){"hubbub", "--port=0", "--host=127.0.0.1", "--log-level=warn",
                                     NULL}),
              0);
    CHECK_INT(cfg.port, 0);
    CHECK_STR(cfg.host, "127.0.0.1");
    CHECK_INT(cfg.log_level, HUB_LOG_WARN);
    CHECK_INT(parse(&cfg, (char *[]){"hubbub", "--port", "65535", NULL}), 0);
    CHECK_INT(cfg.port, 65535);
    hub_config_free(&cfg);
}

#define CHECK_ARGS_ERR(want, ...)                                                                  \
    do {                                                                                           \
        struct hub_config c_;                                                                      \
        hub_config_init(&c_);                                                                      \
        CHECK_INT(parse(&c_, (char *[]){"hubbub", __VA_ARGS__, NULL}), HUB_EINVAL);                \
        if (!strstr(err, want)) {                                                                  \
            tl_failed++;                                                                           \
            fprintf(stderr, "%s:%d: message \"%s\" lacks \"%s\"\n", __FILE__, __LINE__, err,       \
                    want);                                                                         \
        }                                                                                          \
        CHECK_INT(c_.port, 3000); /* nothing applied */                                            \
        hub_config_free(&c_);                                                                      \
    } while (0)

static void test_bad_flags(void)
{
    CHECK_ARGS_ERR("unknown flag '--bogus'", "--bogus");
    CHECK_ARGS_ERR("unknown flag '--prot'", "--prot=80");
    CHECK_ARGS_ERR("unknown flag '--bogus'", "--port", "1", "--bogus");
    CHECK_ARGS_ERR("unexpected argument 'extra'", "extra");
    CHECK_ARGS_ERR("unexpected argument '-p'", "-p", "80");
    CHECK_ARGS_ERR("unexpected argument '--'", "--");
    CHECK_ARGS_ERR("--port needs a value", "--port");
    CHECK_ARGS_ERR("'abc' is not a port", "--port", "abc");
    CHECK_ARGS_ERR("'65536' is not a port", "--port=65536");
    CHECK_ARGS_ERR("'-1' is not a port", "--port", "-1");
    CHECK_ARGS_ERR("'80x' is not a port", "--port", "80x");
    CHECK_ARGS_ERR("'' is not a port", "--port=");
    CHECK_ARGS_ERR("--host: the address must not be empty", "--host=");
    CHECK_ARGS_ERR("--config: the file name must not be empty", "--config", "");
    CHECK_ARGS_ERR("--log-level: 'trace' is not one of", "--log-level", "trace");
    CHECK_ARGS_ERR("--help takes no value", "--help=yes");
    CHECK_ARGS_ERR("--version takes no value", "--version=1");
}

static void test_flags_override_file(void)
{
    struct hub_config cfg;
    char arg[300];
    const char *file = write_file("f.json", "{\"port\": 4000, \"host\": \"10.0.0.1\", "
                                            "\"logLevel\": \"error\", \"pingInterval\": 77}");

    /* --config after the flag it is overridden by: the flag still wins. */
    hub_config_init(&cfg);
    CHECK_INT(parse(&cfg, (char *[]){"hubbub", "--port", "5000", "--config", (char *)file, NULL}),
              0);
    CHECK_INT(cfg.port, 5000);
    CHECK_STR(cfg.host, "10.0.0.1");
    CHECK_INT(cfg.log_level, HUB_LOG_ERROR);
    CHECK_INT(cfg.ping_interval_ms, 77);
    CHECK_STR(cfg.config_file, file);
    hub_config_free(&cfg);

    /* --config first, --flag=value forms. */
    snprintf(arg, sizeof(arg), "--config=%s", file);
    hub_config_init(&cfg);
    CHECK_INT(parse(&cfg, (char *[]){"hubbub", arg, "--host=::", "--log-level=debug", NULL}), 0);
    CHECK_INT(cfg.port, 4000);
    CHECK_STR(cfg.host, "::");
    CHECK_INT(cfg.log_level, HUB_LOG_DEBUG);
    hub_config_free(&cfg);

    /* --config in the middle. */
    hub_config_init(&cfg);
    CHECK_INT(parse(&cfg, (char *[]){"hubbub", "--log-level", "warn", "--config", (char *)file,
                                     "--port=1", NULL}),
              0);
    CHECK_INT(cfg.port, 1);
    CHECK_INT(cfg.log_level, HUB_LOG_WARN);
    CHECK_INT(cfg.ping_interval_ms, 77);
    hub_config_free(&cfg);
}

static void test_flags_bad_config(void)
{
    struct hub_config cfg;
    char missing[300];
    const char *bad = write_file("bad-flags.json", "{\n\"port\": 1,\n\"wat\": 2}");

    hub_config_init(&cfg);
    CHECK_INT(parse(&cfg, (char *[]){"hubbub", "--port", "9", "--config", (char *)bad, NULL}),
              HUB_EINVAL);
    CHECK(strstr(err, "bad-flags.json:3: wat: unknown key") != NULL);
    CHECK_INT(cfg.port, 3000);
    snprintf(missing, sizeof(missing), "%s/none.json", tmpdir);
    CHECK_INT(parse(&cfg, (char *[]){"hubbub", "--config", missing, NULL}), HUB_EIO);
    CHECK(strstr(err, missing) != NULL);
    hub_config_free(&cfg);
}

/* Runs parse with stdout sent to a file; returns the code and leaves what was printed in out. */
static int parse_capture(struct hub_config *cfg, char **argv, char *out, size_t outlen)
{
    char path[300];
    int saved, fd, rc;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "%s/stdout.txt", tmpdir);
    fflush(stdout);
    saved = dup(1);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    close(fd);
    rc = parse(cfg, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    f = fopen(path, "r");
    n = f ? fread(out, 1, outlen - 1, f) : 0;
    out[n] = '\0';
    if (f)
        fclose(f);
    return rc;
}

static void test_help_version(void)
{
    struct hub_config cfg;
    char out[4096];

    hub_config_init(&cfg);
    CHECK_INT(parse_capture(&cfg, (char *[]){"hubbub", "--version", NULL}, out, sizeof(out)), 1);
    CHECK_STR(out, "hubbub " HUB_VERSION "\n");
    CHECK_INT(parse_capture(&cfg, (char *[]){"hubbub", "--help", NULL}, out, sizeof(out)), 1);
    CHECK(strstr(out, "Usage: hubbub") != NULL);
    CHECK(strstr(out, "--port N") != NULL);
    CHECK(strstr(out, "--config FILE") != NULL);
    CHECK(strstr(out, "--log-level LEVEL") != NULL);
    CHECK(strstr(out, "pingInterval") != NULL);
    CHECK_INT(parse_capture(&cfg, (char *[]){"hubbub", "-h", NULL}, out, sizeof(out)), 1);
    CHECK(strstr(out, "Usage:") != NULL);
    /* --help does not load the config, even a missing one. */
    CHECK_INT(parse_capture(&cfg, (char *[]){"hubbub", "--config", "/nonexistent/x.json", "--help",
                                             NULL},
                            out, sizeof(out)),
              1);
    CHECK_INT(cfg.port, 3000);
    hub_config_free(&cfg);
}

/* ---- allocation failures: every allocation in a load may fail, nothing leaks or breaks ---- */

static long alloc_countdown = -1; /* the allocation that fails; -1: none */

static int should_fail(void)
{
    if (alloc_countdown < 0)
        return 0;
    return alloc_countdown-- == 0;
}

static void *failing_malloc(size_t n)
{
    return should_fail() ? NULL : malloc(n);
}

static void *failing_calloc(size_t n, size_t size)
{
    return should_fail() ? NULL : calloc(n, size);
}

static void *failing_realloc(void *p, size_t n)
{
    return should_fail() ? NULL : realloc(p, n);
}

static const struct hub_alloc_funcs failing = {failing_malloc, failing_calloc, failing_realloc,
                                               free};

static void test_alloc_failures(void)
{
    const char *file = write_file("alloc.json", "{\"host\": \"h\", \"path\": \"/p\", "
                                                "\"engineEchoPath\": \"/e/\", "
                                                "\"cors\": [\"https://a\", \"https://b\"], "
                                                "\"namespaces\": {\"/\": {\"app\": \"echo\"}, "
                                                "\"/x\": {\"app\": \"relay\"}}}");
    const char *bad = write_file("alloc-bad.json", "{\"port\": 1,\n \"zzz\": 1}");
    char arg[300];
    int ok = 0, nomem = 0;

    snprintf(arg, sizeof(arg), "--config=%s", file);
    hub_alloc_set(&failing);
    /* jansson's parser does not survive every allocation failure (its lexer ignores some; see
     * akheron/jansson PR #364), so it keeps libc's allocator here: what is failed is config.c's. */
    json_set_alloc_funcs(malloc, free);
    for (long n = 0; n < 1000 && !ok; n++) {
        struct hub_config cfg;
        int rc;

        alloc_countdown = n;
        rc = hub_config_init(&cfg);
        if (rc == 0) {
            rc = parse(&cfg, (char *[]){"hubbub", arg, "--host", "x", NULL});
            if (rc == 0) {
                CHECK_STR(cfg.host, "x");
                CHECK_INT(cfg.nnamespaces, 2);
                ok = 1;
            }
        }
        if (rc != 0 && rc != HUB_ENOMEM)
            CHECK_INT(rc, HUB_ENOMEM);
        nomem += rc == HUB_ENOMEM;
        hub_config_free(&cfg);
    }
    CHECK(ok);
    CHECK(nomem > 10);

    /* A bad file whose error path allocates (it reads the text for the line). */
    ok = 0;
    for (long n = 0; n < 1000 && !ok; n++) {
        struct hub_config cfg;
        int rc;

        alloc_countdown = n;
        rc = hub_config_init(&cfg);
        if (rc == 0) {
            rc = hub_config_load(&cfg, bad, err, sizeof(err));
            if (rc == HUB_EINVAL && strstr(err, ":2: zzz: unknown key"))
                ok = 1;
            else if (rc != HUB_ENOMEM && rc != HUB_EINVAL)
                CHECK_INT(rc, HUB_ENOMEM);
        }
        hub_config_free(&cfg);
    }
    CHECK(ok);
    alloc_countdown = -1;
    hub_alloc_set(NULL);
}

/* ---- the event bus's keys (bus_config.h) ---- */

static const char bus_text[] =
    "{\"namespaces\": {\"/caps\": {\"bus\": true, \"app\": \"relay\"}, \"/x\": {}},\n"
    " \"bus\": {\"region\": \"eu-west-1\", \"account\": \"123456789012\",\n"
    "         \"signingSecret\": \"s\", \"publicUrl\": \"https://hub.example/bus\"},\n"
    " \"queues\": {\"packages.fifo\": {\"visibilityTimeout\": 0.5,\n"
    "              \"contentBasedDeduplication\": true,\n"
    "              \"deadLetterQueue\": {\"queue\": \"lost.fifo\", \"maxReceiveCount\": 3}},\n"
    "            \"lost.fifo\": {\"fifo\": true, \"delay\": 0, \"retention\": 60,\n"
    "                          \"receiveWaitTime\": 20, \"maxMessageSize\": 2048},\n"
    "            \"plain\": {}},\n"
    " \"topics\": {\"pickup.fifo\": {\"subscriptions\": [{\"queue\": \"packages.fifo\"},\n"
    "                 {\"room\": \"/caps#vendor:{vendorId}\", \"event\": \"status\",\n"
    "                  \"raw\": false}]},\n"
    "            \"news\": {\"subscriptions\": [{\"url\": \"http://127.0.0.1:9/h\",\n"
    "                 \"filterPolicy\": {\"kind\": [\"a\"]},\n"
    "                 \"filterPolicyScope\": \"MessageBody\",\n"
    "                 \"deliveryPolicy\": {\"healthyRetryPolicy\": {\"numRetries\": 1}},\n"
    "                 \"deadLetterQueue\": \"plain\"}]}},\n"
    " \"bridges\": [{\"namespace\": \"/caps\", \"event\": \"pickup\", \"topic\": \"pickup.fifo\",\n"
    "              \"attributes\": [\"vendorId\"], \"groupId\": \"{vendorId}\",\n"
    "              \"deduplicationId\": \"{parcelId}\", \"subject\": \"parcel {parcelId}\"},\n"
    "             {\"namespace\": \"/x\", \"event\": \"e\", \"topic\": \"news\"}]}\n";

static void test_bus_keys(void)
{
    struct hub_config cfg;
    const struct hub_bus_config *b;
    const char *later;

    hub_config_init(&cfg);
    CHECK(cfg.bus == NULL);
    CHECK_INT(hub_bus_config_wanted(&cfg), 0);
    hub_config_free(&cfg);

    CHECK_INT(load_text(&cfg, bus_text), 0);
    CHECK_STR(err, "");
    b = cfg.bus;
    CHECK(b != NULL);
    CHECK_INT(hub_bus_config_wanted(&cfg), 1);
    CHECK(hub_config_nsp(&cfg, "/caps")->bus == 1);
    CHECK(hub_config_nsp(&cfg, "/caps")->app == HUB_APP_RELAY);
    CHECK(hub_config_nsp(&cfg, "/x")->bus == 0);
    if (b) {
        CHECK_STR(b->region, "eu-west-1");
        CHECK_STR(b->account, "123456789012");
        CHECK_STR(b->signing_secret, "s");
        CHECK_STR(b->public_url, "https://hub.example/bus");
        CHECK_INT(b->nqueues, 3);
        CHECK_STR(b->queues[0].name, "packages.fifo");
        CHECK_INT(b->queues[0].fifo, 1);
        CHECK_INT(b->queues[0].content_dedup, 1);
        CHECK_INT(b->queues[0].visibility_ms, 500);
        CHECK_INT(b->queues[0].delay_ms, -1);
        CHECK_STR(b->queues[0].dlq, "lost.fifo");
        CHECK_INT(b->queues[0].max_receive_count, 3);
        CHECK_INT(b->queues[1].retention_ms, 60000);
        CHECK_INT(b->queues[1].wait_ms, 20000);
        CHECK_INT(b->queues[1].max_message_size, 2048);
        CHECK_INT(b->queues[2].fifo, 0);
        CHECK_INT(b->ntopics, 2);
        CHECK_STR(b->topics[0].name, "pickup.fifo");
        CHECK_INT(b->topics[0].fifo, 1);
        CHECK_INT(b->topics[0].nsubs, 2);
        CHECK_STR(b->topics[0].subs[0].queue, "packages.fifo");
        CHECK_INT(b->topics[0].subs[0].raw, 1); /* raw by default */
        CHECK_STR(b->topics[0].subs[1].room, "/caps#vendor:{vendorId}");
        CHECK_STR(b->topics[0].subs[1].event, "status");
        CHECK_INT(b->topics[0].subs[1].raw, 0);
        CHECK_STR(b->topics[1].subs[0].url, "http://127.0.0.1:9/h");
        CHECK_STR(b->topics[1].subs[0].filter_policy, "{\"kind\":[\"a\"]}");
        CHECK_INT(b->topics[1].subs[0].filter_scope_body, 1);
        CHECK(b->topics[1].subs[0].delivery_policy &&
              strstr(b->topics[1].subs[0].delivery_policy, "numRetries"));
        CHECK_STR(b->topics[1].subs[0].dlq, "plain");
        CHECK_INT(b->nbridges, 2);
        CHECK_STR(b->bridges[0].nsp, "/caps");
        CHECK_STR(b->bridges[0].event, "pickup");
        CHECK_INT(b->bridges[0].nattributes, 1);
        CHECK_STR(b->bridges[0].attributes[0], "vendorId");
        CHECK_STR(b->bridges[0].group_id, "{vendorId}");
        CHECK_STR(b->bridges[0].dedup_id, "{parcelId}");
        CHECK_STR(b->bridges[0].subject, "parcel {parcelId}");
        CHECK(b->bridges[1].group_id == NULL);
    }

    /* A later file without bus keys keeps them (the definitions are shared, then re-checked
     * against its namespaces); one that drops a namespace they use fails and changes nothing. */
    later = write_file("later.json", "{\"port\": 1}");
    CHECK_INT(hub_config_load(&cfg, later, err, sizeof(err)), 0);
    CHECK(cfg.bus && cfg.bus->nbridges == 2);
    later = write_file("later2.json", "{\"namespaces\": {\"/caps\": {}}}");
    CHECK_INT(hub_config_load(&cfg, later, err, sizeof(err)), HUB_EINVAL);
    CHECK(strstr(err, "bridges[1].namespace: \"/x\" is not declared") != NULL);
    CHECK(cfg.bus && cfg.bus->nbridges == 2 && hub_config_nsp(&cfg, "/x"));
    /* A file replacing one bus key keeps the others. */
    later = write_file("later3.json", "{\"bridges\": []}");
    CHECK_INT(hub_config_load(&cfg, later, err, sizeof(err)), 0);
    CHECK(cfg.bus && cfg.bus->nbridges == 0 && cfg.bus->nqueues == 3 && cfg.bus->ntopics == 2);
    hub_config_free(&cfg);

    /* --config loads into a copy of the config: the definitions come through */
    later = write_file("bus.json", bus_text);
    hub_config_init(&cfg);
    CHECK_INT(parse(&cfg, (char *[]){"hubbub", "--config", (char *)later, "--port", "5", NULL}), 0);
    CHECK(cfg.bus && cfg.bus->ntopics == 2 && cfg.port == 5);
    hub_config_free(&cfg);

    /* Errors name the file, line and key path. */
    CHECK_LOAD_ERR("{\"queues\": {\"q\": {\n\"visibility\": 3}}}", HUB_EINVAL,
                   ":2: queues.q.visibility: unknown key");
    CHECK_LOAD_ERR("{\"queues\": {\"q\": {\"visibilityTimeout\": \"30\"}}}", HUB_EINVAL,
                   "queues.q.visibilityTimeout: must be a number of seconds");
    CHECK_LOAD_ERR("{\"queues\": {\"q\": {\"visibilityTimeout\": 43201}}}", HUB_EINVAL,
                   "queues.q.visibilityTimeout: 43201 is out of range");
    CHECK_LOAD_ERR("{\"queues\": {\"q\": {\"fifo\": true}}}", HUB_EINVAL,
                   "queues.q.fifo: a FIFO queue's name must end in \".fifo\"");
    CHECK_LOAD_ERR("{\"queues\": {\"q\": {\"contentBasedDeduplication\": true}}}", HUB_EINVAL,
                   "applies to FIFO queues only");
    CHECK_LOAD_ERR("{\"queues\": {\"bad name\": {}}}", HUB_EINVAL, "is not a queue name");
    CHECK_LOAD_ERR("{\"queues\": []}", HUB_EINVAL, "queues: must be an object");
    CHECK_LOAD_ERR("{\"queues\": {\"q\": {\"deadLetterQueue\": {\"queue\": \"q\", "
                   "\"maxReceiveCount\": 1}}}}",
                   HUB_EINVAL, "its own dead-letter queue");
    CHECK_LOAD_ERR("{\"queues\": {\"q\": {\"deadLetterQueue\": {\"queue\": \"d\", "
                   "\"maxReceiveCount\": 0}}, \"d\": {}}}",
                   HUB_EINVAL, "queues.q.deadLetterQueue.maxReceiveCount: must be an integer");
    CHECK_LOAD_ERR("{\"queues\": {\"q\": {\"deadLetterQueue\": {\"queue\": \"d.fifo\", "
                   "\"maxReceiveCount\": 2}}, \"d.fifo\": {}}}",
                   HUB_EINVAL, "queues.q.deadLetterQueue.queue: a dead-letter queue must be");
    CHECK_LOAD_ERR("{\"queues\": {\"a\": {\"deadLetterQueue\": {\"queue\": \"b\", "
                   "\"maxReceiveCount\": 2}}, \"b\": {\"deadLetterQueue\": {\"queue\": \"a\", "
                   "\"maxReceiveCount\": 2}}}}",
                   HUB_EINVAL, "queues.a.deadLetterQueue.queue: the dead-letter queues of \"a\" make");
    CHECK_LOAD_ERR("{\"topics\": {\"t\": {\"subscriptions\": [{}]}}}", HUB_EINVAL,
                   "topics.t.subscriptions[0]: needs exactly one of");
    CHECK_LOAD_ERR("{\"topics\": {\"t\": {\"subscriptions\": [{\"queue\": \"q\", \"room\": "
                   "\"/#r\"}]}}}",
                   HUB_EINVAL, "needs exactly one of");
    CHECK_LOAD_ERR("{\"topics\": {\"t\": {\"subscriptions\": [{\"room\": \"lobby\"}]}}}",
                   HUB_EINVAL, "topics.t.subscriptions[0].room: must be \"<namespace>#<room>\"");
    CHECK_LOAD_ERR("{\"topics\": {\"t\": {\"subscriptions\": [{\"url\": \"ftp://x\"}]}}}",
                   HUB_EINVAL, "topics.t.subscriptions[0].url: must be an http");
    CHECK_LOAD_ERR("{\"topics\": {\"t\": {\"subscriptions\": [{\"queue\": \"q\", \"event\": "
                   "\"e\"}]}}, \"queues\": {\"q\": {}}}",
                   HUB_EINVAL, "event: applies to room subscriptions only");
    CHECK_LOAD_ERR("{\"topics\": {\"t\": {\"subscriptions\": [{\"url\": \"http://h\", "
                   "\"deliveryPolicy\": {\"healthyRetryPolicy\": {\"numRetries\": 1000}}}]}}}",
                   HUB_EINVAL, "topics.t.subscriptions[0].deliveryPolicy:");
    CHECK_LOAD_ERR("{\"topics\": {\"t\": {\n\"subscriptions\": [\n{\"queue\": \"q\"}]}}}",
                   HUB_EINVAL, ":3: topics.t.subscriptions[0].queue: no queue \"q\"");
    CHECK_LOAD_ERR("{\"queues\": {\"q.fifo\": {}}, \"topics\": {\"t\": {\"subscriptions\": "
                   "[{\"queue\": \"q.fifo\"}]}}}",
                   HUB_EINVAL, "a standard topic delivers to standard queues only");
    CHECK_LOAD_ERR("{\"topics\": {\"t\": {\"fifo\": true}}}", HUB_EINVAL,
                   "topics.t.fifo: a FIFO topic's name must end");
    CHECK_LOAD_ERR("{\"topics\": {\"t\": {\"tags\": {}}}}", HUB_EINVAL,
                   "topics.t.tags: unknown key");
    CHECK_LOAD_ERR("{\"bridges\": [{\"event\": \"e\", \"topic\": \"t\"}]}", HUB_EINVAL,
                   "bridges[0].namespace: is required");
    CHECK_LOAD_ERR("{\"topics\": {\"t\": {}},\n\"bridges\": [\n{\"namespace\": \"/\", \"event\": "
                   "\"e\", \"topic\": \"u\"}]}",
                   HUB_EINVAL, ":3: bridges[0].topic: no topic \"u\" is declared");
    CHECK_LOAD_ERR("{\"topics\": {\"t\": {}}, \"bridges\": [{\"namespace\": \"/\", \"event\": "
                   "\"connect\", \"topic\": \"t\"}]}",
                   HUB_EINVAL, "bridges[0].event: \"connect\" is reserved");
    CHECK_LOAD_ERR("{\"topics\": {\"t\": {}}, \"bridges\": [{\"namespace\": \"/\", \"event\": "
                   "\"e\", \"topic\": \"t\", \"groupId\": \"{x\"}]}",
                   HUB_EINVAL, "bridges[0].groupId: a malformed {field} template");
    CHECK_LOAD_ERR("{\"topics\": {\"t\": {}}, \"bridges\": [{\"namespace\": \"/\", \"event\": "
                   "\"e\", \"topic\": \"t\"}, {\"namespace\": \"/\", \"event\": \"e\", "
                   "\"topic\": \"t\"}]}",
                   HUB_EINVAL, "bridges[1].event: event \"e\" of \"/\" is already bridged");
    CHECK_LOAD_ERR("{\"topics\": {\"t.fifo\": {}}, \"bridges\": [{\"namespace\": \"/\", "
                   "\"event\": \"e\", \"topic\": \"t.fifo\"}]}",
                   HUB_EINVAL, "needs \"contentBasedDeduplication\" or the bridge's");
    CHECK_LOAD_ERR("{\"bus\": {\"publicUrl\": \"hub:3000\"}}", HUB_EINVAL,
                   "bus.publicUrl: must be an http");
    CHECK_LOAD_ERR("{\"bus\": {\"secret\": \"x\"}}", HUB_EINVAL, "bus.secret: unknown key");
    CHECK_LOAD_ERR("{\"namespaces\": {\"/\": {\"bus\": 1}}}", HUB_EINVAL,
                   "namespaces./.bus: must be true or false");

    /* Every allocation of a bus config load may fail; nothing leaks. */
    const char *file = write_file("bus-alloc.json", bus_text);
    int ok = 0;
    hub_alloc_set(&failing);
    json_set_alloc_funcs(malloc, free);
    for (long n = 0; n < 5000 && !ok; n++) {
        int rc;
        alloc_countdown = n;
        rc = hub_config_init(&cfg);
        if (rc == 0) {
            rc = hub_config_load(&cfg, file, err, sizeof(err));
            ok = rc == 0 && cfg.bus && cfg.bus->nbridges == 2;
            if (rc != 0 && rc != HUB_ENOMEM)
                CHECK_INT(rc, HUB_ENOMEM);
        }
        hub_config_free(&cfg);
    }
    CHECK(ok);
    alloc_countdown = -1;
    hub_alloc_set(NULL);
}

/* ---- the AWS APIs' key (aws_config.h) ---- */

/* Loading a config with these key and certificate files fails with a message holding want. */
static void check_key_files(const char *key_file, const char *cert_file, const char *want)
{
    char text[1400];

    snprintf(text, sizeof text,
             "{\"bus\": {\"signingKeyFile\": \"%s\",\n\"signingCertFile\": \"%s\"}}", key_file,
             cert_file);
    CHECK_LOAD_ERR(text, HUB_EINVAL, want);
}

/* bus.signingKeyFile / bus.signingCertFile: read and checked when the file is loaded; a bad one is
 * a config error that names the key, its line and the file. */
static void test_bus_signing_key(void)
{
    struct hub_config cfg;
    char text[1400], want[1400];
    const char *key = write_file("key.pem", TEST_KEY_PEM);
    static char key_file[256], cert_file[256], other_file[256], small_file[256], junk_file[256];

    snprintf(key_file, sizeof key_file, "%s", key);
    snprintf(cert_file, sizeof cert_file, "%s", write_file("cert.pem", TEST_CERT_PEM));
    snprintf(other_file, sizeof other_file, "%s", write_file("other.pem", TEST_OTHER_KEY_PEM));
    snprintf(small_file, sizeof small_file, "%s", write_file("small.pem", TEST_SMALL_KEY_PEM));
    snprintf(junk_file, sizeof junk_file, "%s", write_file("junk.pem", "not a pem file\n"));

    snprintf(text, sizeof text,
             "{\"bus\": {\"signingKeyFile\": \"%s\",\n \"signingCertFile\": \"%s\"}}", key_file,
             cert_file);
    CHECK_INT(load_text(&cfg, text), 0);
    CHECK(cfg.bus && cfg.bus->signing_key != NULL);
    if (cfg.bus && cfg.bus->signing_key)
        CHECK_STR(hub_sns_key_cert_pem(cfg.bus->signing_key, NULL), TEST_CERT_PEM);
    hub_config_free(&cfg);
    CHECK_INT(load_text(&cfg, "{\"bus\": {\"region\": \"eu-west-1\"}}"), 0);
    CHECK(cfg.bus && cfg.bus->signing_key == NULL);
    hub_config_free(&cfg);

    /* One without the other. */
    snprintf(text, sizeof text, "{\"bus\": {\n\"signingKeyFile\": \"%s\"}}", key_file);
    CHECK_LOAD_ERR(text, HUB_EINVAL, ":2: bus.signingKeyFile: needs \"signingCertFile\"");
    snprintf(text, sizeof text, "{\"bus\": {\n\"signingCertFile\": \"%s\"}}", cert_file);
    CHECK_LOAD_ERR(text, HUB_EINVAL, ":2: bus.signingCertFile: needs \"signingKeyFile\"");
    /* Unreadable files (the key's on line 1, the certificate's on line 2). */
    char missing[300];
    snprintf(missing, sizeof missing, "%s/missing.pem", tmpdir);
    snprintf(want, sizeof want, ":1: bus.signingKeyFile: cannot read %s: No such file", missing);
    check_key_files(missing, cert_file, want);
    snprintf(want, sizeof want, ":2: bus.signingCertFile: cannot read %s", tmpdir);
    check_key_files(key_file, tmpdir, want);
    /* Not PEM, not a certificate, too small, not a pair. */
    snprintf(want, sizeof want, ":1: bus.signingKeyFile: %s: no PEM private key", junk_file);
    check_key_files(junk_file, cert_file, want);
    snprintf(want, sizeof want, ":2: bus.signingCertFile: %s: no PEM certificate", key_file);
    check_key_files(key_file, key_file, want);
    snprintf(want, sizeof want, "bus.signingKeyFile: %s: a 1024-bit RSA key", small_file);
    check_key_files(small_file, cert_file, want);
    snprintf(want, sizeof want,
             ":1: bus.signingKeyFile: the key in %s does not match the certificate in %s",
             other_file, cert_file);
    check_key_files(other_file, cert_file, want);
}

static void test_aws_keys(void)
{
    struct hub_config cfg;

    /* absent: no API */
    CHECK_INT(load_text(&cfg, "{\"port\": 1}"), 0);
    CHECK(cfg.aws == NULL);
    hub_config_free(&cfg);

    /* every key; "enabled" defaults to true */
    CHECK_INT(load_text(&cfg, "{\"aws\": {\"accountId\": \"123456789012\", \"region\": "
                              "\"eu-west-1\",\n \"advertisedUrl\": \"http://sqs.local:9324/\", "
                              "\"accessKeys\": {\"AKID\": \"secret\", \"K2\": \"s2\"}, "
                              "\"port\": null}}"),
              0);
    CHECK(cfg.aws && cfg.aws->enabled);
    if (cfg.aws) {
        CHECK_STR(cfg.aws->account, "123456789012");
        CHECK_STR(cfg.aws->region, "eu-west-1");
        CHECK_STR(cfg.aws->advertised_url, "http://sqs.local:9324"); /* trailing '/' dropped */
        CHECK_INT(cfg.aws->naccess_keys, 2);
        CHECK_STR(cfg.aws->access_keys[0], "AKID");
        CHECK_STR(cfg.aws->access_keys[1], "secret");
        CHECK_STR(cfg.aws->access_keys[3], "s2");
        CHECK(cfg.aws->access_keys[4] == NULL);
        CHECK_STR(hub_aws_config_account(cfg.aws, NULL), "123456789012");
        CHECK_INT(cfg.aws->port, -1); /* null: the hub's listener */
    }
    /* a later file replaces "aws" whole; the config copy is deep */
    const char *f2 = write_file("aws2.json", "{\"aws\": {\"enabled\": false, \"advertisedUrl\": null, "
                                             "\"port\": null, \"accessKeys\": {}}}");
    CHECK_INT(hub_config_load(&cfg, f2, err, sizeof err), 0);
    CHECK(cfg.aws && !cfg.aws->enabled && !cfg.aws->advertised_url && !cfg.aws->access_keys &&
          !cfg.aws->account);
    CHECK_STR(hub_aws_config_account(cfg.aws, NULL), "000000000000");
    CHECK_STR(hub_aws_config_region(cfg.aws, NULL), "us-east-1");
    CHECK_STR(hub_aws_config_region(cfg.aws, "eu-west-2"), "eu-west-2");
    hub_config_free(&cfg);

    /* a listener of their own: a port, 0 for any free one */
    CHECK_INT(load_text(&cfg, "{\"aws\": {\"port\": 9324}}"), 0);
    CHECK(cfg.aws && cfg.aws->port == 9324);
    hub_config_free(&cfg);
    CHECK_INT(load_text(&cfg, "{\"aws\": {\"port\": 0}}"), 0);
    CHECK(cfg.aws && cfg.aws->port == 0);
    hub_config_free(&cfg);

    /* errors name the key and its line */
    CHECK_LOAD_ERR("{\"aws\": true}", HUB_EINVAL, "aws: must be an object");
    CHECK_LOAD_ERR("{\"aws\": {\n\"zzz\": 1}}", HUB_EINVAL, ":2: aws.zzz: unknown key");
    CHECK_LOAD_ERR("{\"aws\": {\"enabled\": 1}}", HUB_EINVAL, "aws.enabled: must be true or false");
    CHECK_LOAD_ERR("{\"aws\": {\"accountId\": \"12345\"}}", HUB_EINVAL,
                   "aws.accountId: must be a string of 12 digits");
    CHECK_LOAD_ERR("{\"aws\": {\"region\": \"US East\"}}", HUB_EINVAL, "aws.region: must be");
    CHECK_LOAD_ERR("{\"aws\": {\"advertisedUrl\": \"ftp://x\"}}", HUB_EINVAL,
                   "aws.advertisedUrl: must be null or a base URL");
    CHECK_LOAD_ERR("{\"aws\": {\"advertisedUrl\": \"http://h/path\"}}", HUB_EINVAL,
                   "aws.advertisedUrl");
    CHECK_LOAD_ERR("{\"aws\": {\"accessKeys\": {\"AKID\": 5}}}", HUB_EINVAL,
                   "aws.accessKeys: \"AKID\": an access key id");
    CHECK_LOAD_ERR("{\"aws\": {\"accessKeys\": {\"a/b\": \"s\"}}}", HUB_EINVAL, "aws.accessKeys");
    CHECK_LOAD_ERR("{\"aws\": {\"port\": 65536}}", HUB_EINVAL,
                   "aws.port: must be a port number 0-65535");
    CHECK_LOAD_ERR("{\"aws\": {\"port\": \"9324\"}}", HUB_EINVAL, "aws.port: must be a port number");
    CHECK_LOAD_ERR("{\"aws\": {\"port\": -1}}", HUB_EINVAL, "aws.port: must be a port number");
    /* "aws" and "bus" must agree on the account and region */
    CHECK_LOAD_ERR("{\"bus\": {\"account\": \"111111111111\"},\n \"aws\": {\"accountId\": "
                   "\"222222222222\"}}",
                   HUB_EINVAL, "aws.accountId: \"222222222222\" differs from bus.account");
    CHECK_LOAD_ERR("{\"aws\": {\"region\": \"eu-west-1\"}, \"bus\": {\"region\": \"us-east-1\"}}",
                   HUB_EINVAL, "aws.region");
    CHECK_INT(load_text(&cfg, "{\"aws\": {\"region\": \"eu-west-1\"}, \"bus\": {\"region\": "
                              "\"eu-west-1\"}}"),
              0);
    hub_config_free(&cfg);

    /* every allocation failure is HUB_ENOMEM, never a crash or a leak */
    const char *file = write_file("aws-alloc.json",
                                  "{\"aws\": {\"accountId\": \"123456789012\", \"region\": \"r\", "
                                  "\"advertisedUrl\": \"http://a\", \"accessKeys\": {\"A\": \"s\"}}}");
    int ok = 0;
    hub_alloc_set(&failing);
    json_set_alloc_funcs(malloc, free); /* as in test_alloc_failures */
    for (long n = 0; n < 1000 && !ok; n++) {
        alloc_countdown = n;
        int rc = hub_config_init(&cfg);
        if (rc == 0) {
            rc = hub_config_load(&cfg, file, err, sizeof err);
            if (rc == 0) ok = cfg.aws && cfg.aws->naccess_keys == 1;
            else if (rc != HUB_ENOMEM) CHECK_INT(rc, HUB_ENOMEM);
        }
        hub_config_free(&cfg);
    }
    CHECK(ok);
    alloc_countdown = -1;
    hub_alloc_set(NULL);
}

static void remove_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    char path[600];

    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(tmpdir);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_defaults);
    RUN(test_full_file);
    RUN(test_partial_file_keeps_defaults);
    RUN(test_conformance_file);
    RUN(test_unknown_keys);
    RUN(test_bad_values);
    RUN(test_bad_json);
    RUN(test_web_keys);
    RUN(test_redis_keys);
    RUN(test_unreadable_file);
    RUN(test_failed_load_changes_nothing);
    RUN(test_later_file_replaces_maps);
    RUN(test_cors_forms);
    RUN(test_flags);
    RUN(test_bad_flags);
    RUN(test_flags_override_file);
    RUN(test_flags_bad_config);
    RUN(test_help_version);
    RUN(test_alloc_failures);
    RUN(test_bus_keys);
    RUN(test_bus_signing_key);
    RUN(test_aws_keys);
    remove_tmpdir();
    return TEST_SUMMARY();
}

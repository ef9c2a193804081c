/* test_routes.c - the HTTP route table and query/form decoding. */
#include <string.h>

#include "httpx.h"
#include "hub_err.h"
#include "testlib.h"

static int tag_a, tag_b, tag_c;

static void fn(void *ud, hub_httpx *x)
{
}

static void test_match(void)
{
    hub_routes *r = hub_routes_new();
    struct hub_route_match m;
    CHECK_INT(hub_routes_add(r, "/", 0, 0, fn, &tag_a), 0);
    CHECK_INT(hub_routes_add(r, "/web/", HUB_ROUTE_PREFIX, 0, fn, &tag_b), 0);
    CHECK_INT(hub_routes_add(r, "/web/socket/", HUB_ROUTE_PREFIX | HUB_ROUTE_BODY, 100, fn, &tag_c), 0);
    CHECK_INT(hub_routes_add(r, "/web/", HUB_ROUTE_PREFIX, 0, fn, NULL), HUB_EEXISTS);
    CHECK_INT(hub_routes_match(r, "GET", "/", &m), 1);
    CHECK(m.ud == &tag_a);
    CHECK_INT(hub_routes_match(r, "GET", "/x", &m), 0); /* "/" is exact */
    CHECK_INT(hub_routes_match(r, "GET", "/web/a.js", &m), 1);
    CHECK(m.ud == &tag_b);
    CHECK_INT(hub_routes_match(r, "GET", "/web/socket/x", &m), 1); /* the longer prefix wins */
    CHECK(m.ud == &tag_c);
    CHECK_INT(m.max_body, 100);
    CHECK_INT(m.flags, HUB_ROUTE_PREFIX | HUB_ROUTE_BODY);
    CHECK_INT(hub_routes_match(r, "GET", "/we", &m), 0);
    /* a POST-only route under everything: POSTs go there, GETs keep their routes */
    static int tag_post;
    CHECK_INT(hub_routes_add_method(r, "POST", "/", HUB_ROUTE_PREFIX | HUB_ROUTE_BODY, 10, fn, &tag_post), 0);
    CHECK_INT(hub_routes_add_method(r, "POST", "/", HUB_ROUTE_PREFIX, 10, fn, NULL), HUB_EEXISTS);
    CHECK_INT(hub_routes_match(r, "POST", "/", &m), 1);
    CHECK(m.ud == &tag_post);
    CHECK_INT(hub_routes_match(r, "POST", "/web/socket/x", &m), 1);
    CHECK(m.ud == &tag_post);
    CHECK_INT(hub_routes_match(r, "GET", "/", &m), 1);
    CHECK(m.ud == &tag_a);
    CHECK_INT(hub_routes_match(r, "PUT", "/nothing", &m), 0);
    CHECK_INT(hub_routes_match(NULL, "GET", "/", &m), 0);
    hub_routes_free(r);
}

static void test_query(void)
{
    char buf[32];
    const char *q = "Action=SendMessage&MessageBody=hello+w%C3%B6rld%21&Empty=&Flag&a%20b=1";
    CHECK_INT(hub_query_get(q, "Action", buf, sizeof buf), 11);
    CHECK_STR(buf, "SendMessage");
    CHECK_INT(hub_query_get(q, "MessageBody", buf, sizeof buf), 13);
    CHECK_STR(buf, "hello w\xc3\xb6rld!");
    CHECK_INT(hub_query_get(q, "Empty", buf, sizeof buf), 0);
    CHECK_INT(hub_query_get(q, "Flag", buf, sizeof buf), 0);
    CHECK_INT(hub_query_get(q, "a b", buf, sizeof buf), 1);
    CHECK_INT(hub_query_get(q, "Act", buf, sizeof buf), -1); /* exact names only */
    CHECK_INT(hub_query_get(q, "Missing", buf, sizeof buf), -1);
    CHECK_INT(hub_query_get(q, "MessageBody", buf, 5), -1); /* does not fit */
    CHECK_INT(hub_query_get("x=%4", "x", buf, sizeof buf), 2); /* a cut escape stays as it is */
    CHECK_STR(buf, "%4");
    CHECK_INT(hub_query_get("", "x", buf, sizeof buf), -1);
}

int main(void)
{
    RUN(test_match);
    RUN(test_query);
    return TEST_SUMMARY();
}

/* hub_err.c - names for the HUB_E* codes, generated from the one table in hub_err.h. */
#include "hub_err.h"

const char *hub_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
#define HUB_ERR_CASE(name, code, text)                                                             \
    case (code):                                                                                   \
        return (text);
        HUB_ERRNO_MAP(HUB_ERR_CASE)
#undef HUB_ERR_CASE
    default:
        return "unknown error";
    }
}

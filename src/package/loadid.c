#include "package/loadid.h"
#include "common/time.h"
#include "formats/json.h"

#include <stdatomic.h>

static _Atomic int64_t g_last_load_us;

void dltc__load_id_new(char out[40])
{
    int64_t last = atomic_load(&g_last_load_us), us;
    do {
        us = dltc__now_us();
        if (us <= last)
            us = last + 1;
    } while (!atomic_compare_exchange_weak(&g_last_load_us, &last, us));
    dltc__format_double(out, (double)us / 1e6);
}

/* Load ids: the name of a load package, as dlt makes them. */
#ifndef DLTC_PACKAGE_LOADID_H
#define DLTC_PACKAGE_LOADID_H

/* A new load id: str(time.time()) as Python prints it ("1712345678.123456"), strictly
 * increasing within the process. `out` needs 40 bytes. Thread-safe. */
void dltc__load_id_new(char out[40]);

#endif

/* The romclient's link (romclient.h) over a connection (conn.h). */
#ifndef FIPY_FLASHER_CONN_H
#define FIPY_FLASHER_CONN_H

#include "conn.h"
#include "romclient.h"

/* A link whose ctx is c; valid while c is open. */
fpy_rom_link fpy_flasher_conn_link(fpy_conn *c);

#endif

/*
 * Baud rates without a termios constant (esptool accepts any --baud):
 * Linux's termios2 with BOTHER.  Alone in this file because the kernel's
 * <asm/termbits.h> and the C library's <termios.h> define the same names
 * differently and cannot meet in one translation unit.
 */
#include <asm/termbits.h>
#include <sys/ioctl.h>

#include "conn_int.h"

int fpy_conn_tty_custom_baud(int fd, uint32_t baud)
{
    struct termios2 t;
    if (ioctl(fd, TCGETS2, &t) != 0)
        return -1;
    t.c_cflag &= ~(tcflag_t)CBAUD;
    t.c_cflag |= BOTHER;
    t.c_cflag &= ~(tcflag_t)(CBAUD << IBSHIFT); /* input speed = output speed */
    t.c_ispeed = baud;
    t.c_ospeed = baud;
    return ioctl(fd, TCSETS2, &t);
}

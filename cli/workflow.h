/*
 * What the page's workflow commands share (register, vm create,
 * virtualize, upload; docs/workflow.md): the registry (--registry) and the
 * DEVICE argument, the files the registry keeps beside it, the narration
 * of what a person does with the board, and doing it on a virtual FiPy
 * through its control socket.
 */
#ifndef FIPY_CLI_WORKFLOW_H
#define FIPY_CLI_WORKFLOW_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "registry.h"
#include "session.h"

/* Open the registry (--registry PATH, or the default): 0, or 1 after
 * saying why it cannot be used ("registry unreadable"). */
int fpy_wf_registry(const fpy_cli_cmd *cmd, const char *given, int create, fpy_registry **reg);
/* Resolve DEVICE: 0, or 1 after "device not registered: ..." and the fix. */
int fpy_wf_device(const fpy_cli_cmd *cmd, fpy_registry *reg, const char *arg,
                  fpy_reg_device *dev);
/* The directory beside the registry for one device's files
 * (REGISTRY-DIR/devices/ID), created (0700) when mk. */
int fpy_wf_device_dir(fpy_registry *reg, const char *id, int mk, char *out, size_t cap);

/* The files fipytool keeps for a device (vm.bin, provision-nvs.bin), and
 * its directory when that leaves it empty: for `device forget`.  Files
 * of other names are left alone.  0, or -1 when one could not be removed
 * (errno; the others are still tried). */
int fpy_wf_device_files_remove(fpy_registry *reg, const char *id);

/* One line of the story on stderr: "==> text". */
void fpy_wf_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The virtual FiPy behind the session's port, if it is one: --sim-ctl,
 * $FIPY_SIM_CTL, or found by host/simctl.h.  1 with sock set, else 0. */
int fpy_wf_virtual(const fpy_session *s, const char *given, char *sock, size_t cap);
/* Do on a virtual board what the person would do (`what`: "jumper on",
 * "jumper off", "reset"): 0, or 1 after saying why not. */
int fpy_wf_ctl(const fpy_cli_cmd *cmd, const char *sock, const char *what);

/* 1 when the board behind the session is a virtual FiPy reached through a
 * pty (sock non-NULL, no modem lines): its jumper and reset button are
 * worked through the control socket. */
int fpy_wf_by_hand(const fpy_session *s, const char *sock);
/* The reset button, as the port allows: the virtual board's control on a
 * pty, the RTS pulse of the ROM client's hard reset, else a line asking
 * the person to press it.  0, or 1 when the control socket failed. */
int fpy_wf_reset(fpy_session *s, const char *sock);

/* Into download mode before a flasher session: on a virtual board behind
 * a pty (no modem lines), the jumper and the reset through its control
 * socket; else the flasher's own reset (DTR/RTS) or its prompt. */
int fpy_wf_download_mode(fpy_session *s, const char *sock);
/* After virtualizing: out of download mode into the VM (jumper off and
 * reset on a virtual board behind a pty; else say what to do). */
int fpy_wf_run_mode(fpy_session *s, const char *sock, int *done);

/* ---- writing a device's board (wf_board.c): virtualize and protect ---- */

/* The VM vm create recorded for dev, read and checked unchanged since
 * (malloc'd *vm); FPY_EXIT_FAIL with the message otherwise. */
int fpy_wf_vm_load(const fpy_cli_cmd *cmd, const fpy_reg_device *dev, uint8_t **vm,
                   size_t *len);
/* The board the session reached is dev (by MAC); else says so. */
int fpy_wf_same_board(const fpy_cli_cmd *cmd, const fpy_session *s, const fpy_reg_device *dev);
/* Open the port, put the board in download mode, connect the flasher. */
int fpy_wf_connect(fpy_session *s, const char *sock);
/* Write the regions (matching sectors skipped), verify them, record each
 * in dev's history under the command's name. */
int fpy_wf_write_regions(const fpy_cli_cmd *cmd, fpy_session *s, fpy_registry *reg,
                         const fpy_reg_device *dev, const fpy_flash_region *r, size_t n);

/* The SHA-256 of buf in lowercase hex (65 bytes). */
void fpy_wf_sha256_hex(const uint8_t *buf, size_t len, char out[65]);
/* Record one region written to the device in its history (a failure is
 * reported, not fatal: the board has the bytes). */
void fpy_wf_history(const fpy_cli_cmd *cmd, fpy_registry *reg, const char *id, const char *op,
                    int has_region, uint32_t addr, const uint8_t *data, size_t len,
                    const char *label);

#endif

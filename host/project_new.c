/*
 * A starting project (fpy_project_new): project.yml, main.py, README.md,
 * written into a temporary directory next to the target and renamed into
 * place, so the project appears whole or not at all.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostio.h"
#include "project.h"

static const char fpy_new_yml[] =
    "# A fipy project: what the board runs, and on which VM (docs/project.md).\n"
    "# Check it with `fipytool project check .`.\n"
    "\n"
    "# The board. fipy knows one: the Pycom FiPy 1.0.\n"
    "target: " FPY_PROJECT_TARGET "\n"
    "\n"
    "# The VM the program runs on.\n"
    "vm:\n"
    "  # Flash layout: nonble, or ble for a VM with Bluetooth.\n"
    "  layout: nonble\n"
    "  # Premium VM features: fota, secure_firmware, power_saving.\n"
    "  features: []\n"
    "  # The VM's ABI version: the bytecode runs only on a VM of this ABI.\n"
    "  abi: 1\n"
    "\n"
    "# Options of the program; each becomes a C macro and a CFG name.\n"
    "config:\n"
    "  # Secure sockets (TLS) use the mbedTLS inside the ESP32 VM: set this\n"
    "  # to true to use them. (zerynth_ssl is not available on the ESP32.)\n"
    "  native_mbedtls: false\n";

static const char fpy_new_main[] =
    "# The program: the VM runs main.py after each reset.\n"
    "print(\"Hello from the FiPy!\")\n";

static const char fpy_new_readme[] =
    "# A FiPy project\n"
    "\n"
    "A program for the Pycom FiPy 1.0, made with `fipytool project new`.\n"
    "\n"
    "## Files\n"
    "\n"
    "- `project.yml`: the board (`target`), the VM the program needs (`vm`:\n"
    "  its flash layout, features and ABI version) and the program's options\n"
    "  (`config`). `fipytool project check .` reads it and names any problem\n"
    "  with its line and column.\n"
    "- `main.py`: the program; the VM starts it after each reset. Other\n"
    "  `*.py` files here are modules it can import.\n"
    "- `README.md`: this file.\n"
    "\n"
    "## From project to board\n"
    "\n"
    "1. `fipytool register`: put the FiPy in download mode (GND to P2/G23,\n"
    "   then reset; reset it when asked) and record it in the device registry.\n"
    "2. `fipytool vm create DEVICE`: the VM the board will run (add `--ble`\n"
    "   when `project.yml` says `layout: ble`); its ABI is the `abi` here.\n"
    "3. `fipytool virtualize DEVICE`: write the VM to the board (still in\n"
    "   download mode).\n"
    "4. `fipytool project build . --abi N`: the bytecode image of this\n"
    "   project for a VM of ABI N (`project.fbc`).\n"
    "5. `fipytool upload`: send the bytecode to the running VM; reset the\n"
    "   board when asked.\n"
    "\n"
    "`fipytool COMMAND --help` describes each command.\n";

typedef struct fpy_new_file {
    const char *name;
    const char *text;
    size_t len;
} fpy_new_file;

static const fpy_new_file fpy_new_files[] = {
    {FPY_PROJECT_FILE, fpy_new_yml, sizeof fpy_new_yml - 1},
    {"main.py", fpy_new_main, sizeof fpy_new_main - 1},
    {"README.md", fpy_new_readme, sizeof fpy_new_readme - 1},
};
#define FPY_NEW_NFILES (sizeof fpy_new_files / sizeof fpy_new_files[0])

static int fpy_new_err(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fpy_new_err(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

static int fpy_new_is_empty_dir(const char *dir)
{
    DIR *dh = opendir(dir);
    if (dh == NULL)
        return 0;
    struct dirent *e;
    int empty = 1;
    while (empty && (e = readdir(dh)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            empty = 0;
    closedir(dh);
    return empty;
}

/* `dir` may become the project: absent, or an empty directory (rename
 * replaces it).  A symlink is refused: rename would replace the link. */
static int fpy_new_target_ok(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(dir, &st) != 0) {
        if (errno == ENOENT)
            return FPY_OK;
        return fpy_new_err(err, errlen, FPY_ERR_IO, "cannot use %s: %s", dir, strerror(errno));
    }
    if (S_ISLNK(st.st_mode))
        return fpy_new_err(err, errlen, FPY_ERR_EXISTS,
                           "%s is a symbolic link; name a new directory instead", dir);
    if (!S_ISDIR(st.st_mode))
        return fpy_new_err(err, errlen, FPY_ERR_EXISTS,
                           "%s exists and is not a directory; name a new directory", dir);
    if (!fpy_new_is_empty_dir(dir))
        return fpy_new_err(err, errlen, FPY_ERR_EXISTS,
                           "%s exists and is not empty; fipytool never overwrites a project: "
                           "name a new directory",
                           dir);
    return FPY_OK;
}

/* `dir` without trailing slashes, and its parent directory: malloc'd. */
static int fpy_new_paths(const char *dir, char **clean, char **tmpl)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    *clean = malloc(n + 1);
    *tmpl = malloc(n + sizeof "/.fipytool-XXXXXX");
    if (*clean == NULL || *tmpl == NULL)
        return FPY_ERR_NOSPC;
    memcpy(*clean, dir, n);
    (*clean)[n] = '\0';
    size_t cut = n;
    while (cut > 0 && dir[cut - 1] != '/')
        cut--;
    if (cut == 0)
        memcpy(*tmpl, ".", 2);
    else
        snprintf(*tmpl, cut + 1, "%s", dir); /* up to and with the slash */
    strcat(*tmpl, cut == 0 ? "/.fipytool-XXXXXX" : ".fipytool-XXXXXX");
    return FPY_OK;
}

/* Remove what fpy_new_fill wrote into tmp, and tmp. */
static void fpy_new_remove(const char *tmp)
{
    char path[4096];
    for (size_t i = 0; i < FPY_NEW_NFILES; i++) {
        snprintf(path, sizeof path, "%s/%s", tmp, fpy_new_files[i].name);
        unlink(path);
    }
    rmdir(tmp);
}

static int fpy_new_fill(const char *tmp, char *err, size_t errlen)
{
    char path[4096];
    for (size_t i = 0; i < FPY_NEW_NFILES; i++) {
        snprintf(path, sizeof path, "%s/%s", tmp, fpy_new_files[i].name);
        FPY_TRY(fpy_file_write(path, fpy_new_files[i].text, fpy_new_files[i].len, err, errlen));
    }
    /* mkdtemp made it 0700; a project directory gets the usual mode. */
    mode_t mask = umask(0);
    umask(mask);
    if (chmod(tmp, 0777 & ~mask) != 0)
        return fpy_new_err(err, errlen, FPY_ERR_IO, "cannot set the mode of %s: %s", tmp,
                           strerror(errno));
    return FPY_OK;
}

/* mkdtemp, fill, rename; signals that would kill us are held meanwhile,
 * so a kill leaves the project whole or no temporary directory. */
static int fpy_new_make(const char *dir, char *tmp, char *err, size_t errlen)
{
    sigset_t hold, saved;
    sigemptyset(&hold);
    sigaddset(&hold, SIGINT);
    sigaddset(&hold, SIGTERM);
    sigaddset(&hold, SIGHUP);
    sigaddset(&hold, SIGQUIT);
    sigprocmask(SIG_BLOCK, &hold, &saved);
    int rc = FPY_OK;
    if (mkdtemp(tmp) == NULL) {
        rc = fpy_new_err(err, errlen, FPY_ERR_IO,
                         "cannot create a temporary directory next to %s: %s", dir,
                         strerror(errno));
    } else {
        rc = fpy_new_fill(tmp, err, errlen);
        if (rc == FPY_OK && rename(tmp, dir) != 0)
            rc = errno == ENOTEMPTY || errno == EEXIST || errno == ENOTDIR || errno == EISDIR
                     ? fpy_new_err(err, errlen, FPY_ERR_EXISTS,
                                   "%s appeared meanwhile and is not an empty directory; "
                                   "nothing was written",
                                   dir)
                     : fpy_new_err(err, errlen, FPY_ERR_IO, "cannot create %s: %s", dir,
                                   strerror(errno));
        if (rc != FPY_OK)
            fpy_new_remove(tmp);
    }
    sigprocmask(SIG_SETMASK, &saved, NULL);
    return rc;
}

int fpy_project_new(const char *dir, char *err, size_t errlen)
{
    char *clean = NULL, *tmp = NULL;
    int rc = fpy_new_paths(dir, &clean, &tmp);
    if (rc != FPY_OK)
        rc = fpy_new_err(err, errlen, rc, "out of memory");
    if (rc == FPY_OK)
        rc = fpy_new_target_ok(clean, err, errlen);
    if (rc == FPY_OK)
        rc = fpy_new_make(clean, tmp, err, errlen);
    free(clean);
    free(tmp);
    return rc;
}

/* The host file layer (docs/files.md): locked in-place updates saved
 * atomically, outputs onto links and special files, same-file refusal,
 * and failures that leave every file as it was. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "flashimg.h"
#include "nvs_host.h"
#include "hostio.h"
#include "testutil.h"

static char dir[256];
static char err[1024];

static int setup(void **state)
{
    (void)state;
    return fpy_test_tmpdir(dir, sizeof dir, "files");
}

static int teardown(void **state)
{
    (void)state;
    return fpy_test_rmdir(dir);
}

static const char *at(const char *name)
{
    return fpy_test_path(dir, name);
}

static void put(const char *name, const char *text)
{
    assert_int_equal(fpy_file_write(at(name), text, strlen(text), err, sizeof err), FPY_OK);
}

static void assert_content(const char *name, const char *text)
{
    uint8_t *buf;
    size_t len;
    assert_int_equal(fpy_file_read(at(name), 1u << 20, &buf, &len, err, sizeof err), FPY_OK);
    assert_int_equal(len, strlen(text));
    assert_memory_equal(buf, text, len);
    free(buf);
}

static ino_t inode(const char *name)
{
    struct stat st;
    assert_int_equal(lstat(at(name), &st), 0);
    return st.st_ino;
}

/* Entries of the test directory whose name starts with ".fipytool-". */
static int temp_files(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += strncmp(e->d_name, ".fipytool-", 10) == 0;
    closedir(d);
    return n;
}

static void test_save_writes_only_a_change(void **state)
{
    (void)state;
    fpy_lockedfile lf;
    put("a.bin", "0123456789");
    assert_int_equal(chmod(at("a.bin"), 0640), 0);
    ino_t before = inode("a.bin");
    assert_int_equal(fpy_lockedfile_open(&lf, at("a.bin"), FPY_FILE_WRITE, 64, err, sizeof err),
                     FPY_OK);
    assert_int_equal(fpy_lockedfile_save(&lf, err, sizeof err), FPY_OK);
    assert_int_equal(inode("a.bin"), before); /* nothing changed: not rewritten */
    lf.buf[3] = 'x';
    assert_int_equal(fpy_lockedfile_save(&lf, err, sizeof err), FPY_OK);
    fpy_lockedfile_close(&lf);
    assert_int_not_equal(inode("a.bin"), before);
    assert_content("a.bin", "012x456789");
    struct stat st;
    assert_int_equal(stat(at("a.bin"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_int_equal(temp_files(), 0);
}

static void test_unsaved_changes_are_dropped(void **state)
{
    (void)state;
    fpy_lockedfile lf;
    put("b.bin", "keep me");
    assert_int_equal(fpy_lockedfile_open(&lf, at("b.bin"), FPY_FILE_WRITE, 64, err, sizeof err),
                     FPY_OK);
    memset(lf.buf, 'z', lf.len);
    fpy_lockedfile_close(&lf); /* the command failed: no save */
    assert_content("b.bin", "keep me");
}

/* A writer holds an exclusive lock; a second writer waits, and when the
 * first one renames a new file over the path, works on the new file. */
static void test_second_writer_waits_and_sees_the_update(void **state)
{
    (void)state;
    fpy_lockedfile lf;
    put("c.bin", "version 1");
    assert_int_equal(fpy_lockedfile_open(&lf, at("c.bin"), FPY_FILE_WRITE, 64, err, sizeof err),
                     FPY_OK);
    int fd = open(at("c.bin"), O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_SH | LOCK_NB), -1); /* readers wait too */
    assert_int_equal(errno, EWOULDBLOCK);
    close(fd);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        fpy_lockedfile other;
        close(lf.fd); /* the parent's lock, inherited: not ours to hold */
        int rc = fpy_lockedfile_open(&other, at("c.bin"), FPY_FILE_WRITE, 64, err, sizeof err);
        int same = rc == FPY_OK && other.len == 9 && memcmp(other.buf, "version 2", 9) == 0;
        _exit(same ? 0 : 1);
    }
    nanosleep(&(struct timespec){0, 100000000L}, NULL); /* the child waits for the lock now */
    lf.buf[8] = '2';
    assert_int_equal(fpy_lockedfile_save(&lf, err, sizeof err), FPY_OK);
    fpy_lockedfile_close(&lf);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* A full disk (here a file-size limit): an error naming the file; the
 * file as it was; no temporary file. */
static void test_full_disk_changes_nothing(void **state)
{
    (void)state;
    static char big[64 * 1024];
    struct rlimit old, lim;
    fpy_lockedfile lf;
    memset(big, 'a', sizeof big);
    assert_int_equal(fpy_file_write(at("d.bin"), big, sizeof big, err, sizeof err), FPY_OK);
    assert_int_equal(fpy_lockedfile_open(&lf, at("d.bin"), FPY_FILE_WRITE, sizeof big, err,
                                         sizeof err), FPY_OK);
    lf.buf[0] = 'b';
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 4096;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = fpy_lockedfile_save(&lf, err, sizeof err);
    int rc2 = fpy_file_write(at("new.bin"), big, sizeof big, err, sizeof err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    fpy_lockedfile_close(&lf);
    assert_int_equal(rc, FPY_ERR_NOSPC);
    assert_int_equal(rc2, FPY_ERR_NOSPC);
    assert_non_null(strstr(err, "new.bin"));
    assert_non_null(strstr(err, "File too large"));
    uint8_t *buf;
    size_t len;
    assert_int_equal(fpy_file_read(at("d.bin"), sizeof big, &buf, &len, err, sizeof err), FPY_OK);
    assert_int_equal(len, sizeof big);
    assert_memory_equal(buf, big, len);
    free(buf);
    assert_int_equal(access(at("new.bin"), F_OK), -1);
    assert_int_equal(temp_files(), 0);
}

static void test_writer_refuses_readonly_and_hard_links(void **state)
{
    (void)state;
    fpy_lockedfile lf;
    put("ro.bin", "read only");
    assert_int_equal(chmod(at("ro.bin"), 0444), 0);
    assert_int_equal(fpy_lockedfile_open(&lf, at("ro.bin"), FPY_FILE_WRITE, 64, err, sizeof err),
                     FPY_ERR_STATE);
    assert_non_null(strstr(err, "read-only"));
    assert_int_equal(fpy_file_write(at("ro.bin"), "x", 1, err, sizeof err), FPY_ERR_STATE);
    assert_content("ro.bin", "read only");
    put("h.bin", "linked");
    assert_int_equal(link(at("h.bin"), at("h2.bin")), 0);
    assert_int_equal(fpy_file_write(at("h.bin"), "x", 1, err, sizeof err), FPY_ERR_STATE);
    assert_non_null(strstr(err, "hard links"));
    assert_content("h2.bin", "linked");
    /* a reader may read both */
    assert_int_equal(fpy_lockedfile_open(&lf, at("ro.bin"), FPY_FILE_READ, 64, err, sizeof err),
                     FPY_OK);
    fpy_lockedfile_close(&lf);
}

static void test_symlinks_are_kept_and_their_targets_written(void **state)
{
    (void)state;
    put("real.bin", "old");
    assert_int_equal(symlink("real.bin", at("link.bin")), 0);
    put("link.bin", "new");
    struct stat st;
    assert_int_equal(lstat(at("link.bin"), &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_content("real.bin", "new");
    /* a chain of links, relative to each link's own directory */
    assert_int_equal(mkdir(at("sub"), 0755), 0);
    assert_int_equal(symlink("../link.bin", at("sub/link2")), 0);
    fpy_lockedfile lf;
    assert_int_equal(fpy_lockedfile_open(&lf, at("sub/link2"), FPY_FILE_WRITE, 64, err,
                                         sizeof err), FPY_OK);
    lf.buf[0] = 'N';
    assert_int_equal(fpy_lockedfile_save(&lf, err, sizeof err), FPY_OK);
    fpy_lockedfile_close(&lf);
    assert_content("real.bin", "New");
    assert_int_equal(lstat(at("sub/link2"), &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    /* a dangling link names the file to create */
    assert_int_equal(symlink("sub/made.bin", at("dangling")), 0);
    put("dangling", "made");
    assert_content("sub/made.bin", "made");
    assert_int_equal(symlink("loop2", at("loop1")), 0);
    assert_int_equal(symlink("loop1", at("loop2")), 0);
    assert_int_equal(fpy_file_write(at("loop1"), "x", 1, err, sizeof err), FPY_ERR_IO);
    assert_non_null(strstr(err, "symbolic links"));
    assert_int_equal(temp_files(), 0);
}

static void test_special_files(void **state)
{
    (void)state;
    assert_int_equal(mkdir(at("adir"), 0755), 0);
    assert_int_equal(fpy_file_write(at("adir"), "x", 1, err, sizeof err), FPY_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "a directory"));
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", at("sock"));
    if (s >= 0 && strlen(at("sock")) < sizeof sa.sun_path &&
        bind(s, (struct sockaddr *)&sa, sizeof sa) == 0) {
        assert_int_equal(fpy_file_write(at("sock"), "x", 1, err, sizeof err),
                         FPY_ERR_UNSUPPORTED);
        assert_non_null(strstr(err, "a socket"));
    }
    if (s >= 0)
        close(s);
    /* a FIFO is written as it is (here with a reader already waiting) */
    assert_int_equal(mkfifo(at("fifo"), 0644), 0);
    int r = open(at("fifo"), O_RDONLY | O_NONBLOCK);
    assert_true(r >= 0);
    assert_int_equal(fpy_file_write(at("fifo"), "through", 7, err, sizeof err), FPY_OK);
    char got[16] = {0};
    assert_int_equal(read(r, got, sizeof got), 7);
    assert_string_equal(got, "through");
    close(r);
    struct stat st;
    assert_int_equal(lstat(at("fifo"), &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    /* in place: only regular files */
    fpy_lockedfile lf;
    assert_int_equal(fpy_lockedfile_open(&lf, at("fifo"), FPY_FILE_WRITE, 64, err, sizeof err),
                     FPY_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "a FIFO"));
    assert_int_equal(temp_files(), 0);
}

static void test_output_that_is_an_input_is_refused(void **state)
{
    (void)state;
    put("in.bin", "input");
    put("other.bin", "other");
    assert_int_equal(symlink("in.bin", at("in.link")), 0);
    assert_int_equal(link(at("in.bin"), at("in.hard")), 0);
    char dotted[600];
    snprintf(dotted, sizeof dotted, "%s/./in.bin", dir);
    const char *in[] = {NULL, at("other.bin"), at("in.bin")};
    const char *outs[] = {at("in.bin"), at("in.link"), at("in.hard"), dotted};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(fpy_file_distinct(outs[i], in, 3, err, sizeof err), FPY_ERR_EXISTS);
        assert_non_null(strstr(err, "same file"));
    }
    assert_int_equal(fpy_file_distinct(at("nothing-yet.bin"), in, 3, err, sizeof err), FPY_OK);
    assert_int_equal(fpy_file_distinct("-", in, 3, err, sizeof err), FPY_OK);
    assert_int_equal(fpy_file_distinct(NULL, in, 3, err, sizeof err), FPY_OK);
    assert_int_equal(fpy_file_distinct(at("other.bin"), in + 2, 1, err, sizeof err), FPY_OK);
}

static void test_reads(void **state)
{
    (void)state;
    uint8_t *buf;
    size_t len;
    put("r.bin", "not a flash image");
    assert_int_equal(fpy_file_read(at("r.bin"), 4, &buf, &len, err, sizeof err), FPY_ERR_NOSPC);
    assert_non_null(strstr(err, "larger than 4 bytes"));
    assert_int_equal(fpy_file_read(at("none.bin"), 4, &buf, &len, err, sizeof err), FPY_ERR_IO);
    assert_non_null(strstr(err, "none.bin"));
    put("empty.bin", "");
    assert_int_equal(fpy_file_read(at("empty.bin"), 4, &buf, &len, err, sizeof err), FPY_OK);
    assert_int_equal(len, 0);
    free(buf);
    fpy_flashimg fi;
    assert_int_equal(fpy_flashimg_open(&fi, at("r.bin"), NULL, FPY_FILE_WRITE, err, sizeof err),
                     FPY_ERR_RANGE);
    assert_non_null(strstr(err, "17 bytes"));
    assert_content("r.bin", "not a flash image");
}

/* An NVS file that was never opened (a bad --offset stops before the
 * open) holds no descriptor: freeing it, even twice, closes nothing, not
 * standard input. */
static void test_unopened_nvs_file_closes_nothing(void **state)
{
    (void)state;
    /* descriptor 0 open (CI may start us without standard input) */
    int fd = open("/dev/null", O_RDONLY);
    assert_true(fd >= 0);
    if (fd != 0) {
        assert_int_equal(dup2(fd, 0), 0);
        close(fd);
    }
    fpy_nvs_file f;
    fpy_nvs_file_init(&f);
    fpy_nvs_file_free(&f);
    fpy_nvs_file_free(&f);
    assert_true(fcntl(0, F_GETFD) != -1);
    char msg[256];
    uint32_t bad_off = 0x123;
    assert_int_not_equal(fpy_nvs_file_load(&f, "/nonexistent/nvs.bin", &bad_off, NULL,
                                           FPY_FILE_READ, msg, sizeof msg),
                         FPY_OK);
    fpy_nvs_file_free(&f);
    assert_true(fcntl(0, F_GETFD) != -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_save_writes_only_a_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsaved_changes_are_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_writer_waits_and_sees_the_update, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_full_disk_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_refuses_readonly_and_hard_links, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_symlinks_are_kept_and_their_targets_written, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_special_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_that_is_an_input_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reads, setup, teardown),
        cmocka_unit_test(test_unopened_nvs_file_closes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

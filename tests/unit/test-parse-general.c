/* Unit tests for the domain-level sections of the parser (parse.c, xml.c, parse-general.c)
 * and for validate.c: asserted field values for valid input, and for invalid input the exact
 * dom_diag_format() line (location, sentence and line number) a user would see. */
#include "config.h"
#include "domain/network.h"
#include "domain/parse.h"
#include "qemu/build.h"
#include "supervise/rundir.h"
#include "tests/testutil.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strbuf.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

/* ---- harness ---- */

/* Lines 1-3 of most test documents; MEM is line 4, so a test body starts at line 5. */
#define HEAD                                                                    \
    "<domain type='kvm'>\n"                                                     \
    "<name>t</name>\n"                                                          \
    "<os><type>hvm</type></os>\n"
#define MEM "<memory unit='MiB'>1024</memory>\n"
#define TAIL "</domain>\n"

struct res {
    int r;
    struct domain *d;
    struct dom_diags g;
};

static void run_len(struct res *R, const char *xml, size_t len)
{
    memset(R, 0, sizeof(*R));
    R->r = dom_parse_memory(xml, len, "test.xml", &R->d, &R->g);
}

static void run(struct res *R, const char *xml)
{
    run_len(R, xml, strlen(xml));
}

static void done(struct res *R)
{
    domain_free(R->d);
    dom_diags_free(&R->g);
}

static void dump(const struct res *R)
{
    print_message("r=%d\n", R->r);
    tu_print_diags(&R->g);
}

/* The diagnostic whose formatted text is exactly text, at that level. */
static const struct dom_diag *find_exact(const struct res *R, enum dom_diag_level lvl,
                                         const char *text)
{
    return tu_find_diag(&R->g, (int)lvl, text);
}

/* The first diagnostic at that level whose location starts with where_prefix and whose
 * message contains msg_part. */
static const struct dom_diag *find_like(const struct res *R, enum dom_diag_level lvl,
                                        const char *where_prefix, const char *msg_part)
{
    for (size_t i = 0; i < R->g.n; i++) {
        const struct dom_diag *g = &R->g.v[i];
        if (g->level == lvl && strncmp(g->where, where_prefix, strlen(where_prefix)) == 0 &&
            strstr(g->msg, msg_part))
            return g;
    }
    return NULL;
}

static size_t count_level(const struct res *R, enum dom_diag_level lvl)
{
    size_t n = 0;
    for (size_t i = 0; i < R->g.n; i++)
        n += R->g.v[i].level == lvl;
    return n;
}

#define assert_ok(R)                                                            \
    do {                                                                        \
        if ((R)->r != 0 || (R)->g.n_errors != 0 || !(R)->d) {                   \
            dump(R);                                                            \
            fail_msg("expected the document to be accepted");                   \
        }                                                                       \
    } while (0)

#define assert_diag(R, lvl, text)                                               \
    do {                                                                        \
        if (!find_exact((R), (lvl), (text))) {                                  \
            dump(R);                                                            \
            fail_msg("missing %s: %s", dom_diag_level_to_string(lvl), (text));  \
        }                                                                       \
    } while (0)

/* Invalid input: rejected, no domain returned, and this exact error among the diagnostics. */
#define assert_error(R, text)                                                   \
    do {                                                                        \
        if ((R)->r != -EINVAL || (R)->d) {                                      \
            dump(R);                                                            \
            fail_msg("expected -EINVAL for: %s", (text));                       \
        }                                                                       \
        assert_diag((R), DOM_DIAG_ERROR, (text));                               \
    } while (0)

/* Parses xml and expects exactly one error, with this formatted text. */
static void expect_one_error(const char *xml, const char *text)
{
    struct res R;
    run(&R, xml);
    assert_error(&R, text);
    if (R.g.n_errors != 1) {
        dump(&R);
        fail_msg("expected exactly one error");
    }
    done(&R);
}

static void expect_ok(struct res *R, const char *xml)
{
    run(R, xml);
    assert_ok(R);
}

/* ---- <seclabel>: the DAC model is honoured, the others are libvirt bookkeeping ---- */
static void test_seclabel(void **state)
{
    (void)state;
    struct res R;
    expect_ok(&R, HEAD MEM "<seclabel type='static' model='dac' relabel='yes'>"
              "<label>+107:+108</label></seclabel>\n"
              "<seclabel type='dynamic' model='apparmor'><label>libvirt-x</label></seclabel>\n"
              TAIL);
    assert_int_equal(R.d->dac.type, DOM_SECLABEL_STATIC);
    assert_int_equal(R.d->dac.relabel, DOM_TRI_ON);
    assert_string_equal(R.d->dac.label, "+107:+108");
    assert_int_equal(R.d->dac.line, 5);
    done(&R);
    /* virsh dumpxml of a running domain: the dynamic label is the run's, not a request. */
    expect_ok(&R, HEAD MEM "<seclabel type='dynamic' model='dac' relabel='yes'>"
              "<label>+64055:+64055</label><imagelabel>+64055:+64055</imagelabel>"
              "</seclabel>\n" TAIL);
    assert_int_equal(R.d->dac.type, DOM_SECLABEL_DYNAMIC);
    assert_null(R.d->dac.label);
    done(&R);
    /* A model-less type='none' turns every driver off, DAC included. */
    expect_ok(&R, HEAD MEM "<seclabel type='none'/>\n" TAIL);
    assert_int_equal(R.d->dac.type, DOM_SECLABEL_NONE);
    done(&R);
    expect_ok(&R, HEAD MEM "<seclabel type='none' model='selinux'/>\n" TAIL);
    assert_int_equal(R.d->dac.type, DOM_SECLABEL_DEFAULT);
    done(&R);
    expect_one_error(HEAD MEM "<seclabel type='static' model='dac'/>\n" TAIL,
                     "seclabel: a static DAC <seclabel> needs <label>USER:GROUP</label>"
                     " (line 5)");
    expect_one_error(HEAD MEM "<seclabel type='static' model='dac'><label>root</label>"
                     "</seclabel>\n" TAIL,
                     "seclabel/label: DAC label 'root' is not USER:GROUP (names, or "
                     "+UID:+GID) (line 5)");
    expect_one_error(HEAD MEM "<seclabel model='dac' type='none'/><seclabel model='dac' "
                     "type='none'/>\n" TAIL,
                     "seclabel[2]: more than one DAC <seclabel> (line 5)");
}

/* ---- <memoryBacking>, <iothreads> ---- */

static void test_memory_backing(void **state)
{
    (void)state;
    struct res R;
    expect_ok(&R, HEAD MEM "<memoryBacking>\n<hugepages><page size='2' unit='M' "
              "nodeset='0'/><page size='1048576'/></hugepages>\n<nosharepages/><locked/>"
              "<source type='file'/><access mode='shared'/>"
              "<allocation mode='immediate' threads='4'/></memoryBacking>\n" TAIL);
    const struct dom_mem_backing *m = &R.d->mem_backing;
    assert_true(m->present);
    assert_true(m->hugepages);
    assert_int_equal(m->n_pages, 2);
    assert_int_equal(m->pages[0].size_kib, 2048);
    assert_string_equal(m->pages[0].nodeset, "0");
    assert_int_equal(m->pages[1].size_kib, 1048576);
    assert_null(m->pages[1].nodeset);
    assert_true(m->nosharepages);
    assert_true(m->locked);
    assert_string_equal(dom_mem_source_to_string(m->source), "file");
    assert_string_equal(dom_mem_access_to_string(m->access), "shared");
    assert_string_equal(dom_mem_allocation_to_string(m->allocation), "immediate");
    assert_int_equal(m->allocation_threads, 4);
    done(&R);
    expect_ok(&R, HEAD MEM "<memoryBacking><source type='memfd'/></memoryBacking>\n"
              "<cpu><numa><cell id='0' cpus='0' memory='1' unit='GiB' memAccess='private'/>"
              "</numa></cpu>\n" TAIL);
    assert_string_equal(dom_mem_source_to_string(R.d->mem_backing.source), "memfd");
    assert_false(R.d->mem_backing.hugepages);
    assert_string_equal(dom_mem_access_to_string(R.d->cpu.cells[0].mem_access), "private");
    done(&R);

    expect_one_error(HEAD MEM "<memoryBacking><hugepages>\n<page/></hugepages>"
                     "</memoryBacking>\n" TAIL,
                     "memoryBacking/hugepages/page: <page> needs a size attribute (line 6)");
    expect_one_error(HEAD MEM "<memoryBacking><hugepages>\n<page size='2' unit='XB'/>"
                     "</hugepages></memoryBacking>\n" TAIL,
                     "memoryBacking/hugepages/page@size: invalid huge page size '2': "
                     "unknown unit (line 6)");
    expect_one_error(HEAD MEM "<memoryBacking><hugepages><page size='2048'/>\n"
                     "<page size='4096'/></hugepages></memoryBacking>\n" TAIL,
                     "memoryBacking/hugepages/page[2]: more than one <page> without a nodeset "
                     "(the default huge page size can be given only once) (line 6)");
    expect_one_error(HEAD MEM "<memoryBacking><hugepages><page size='2048' nodeset='x'/>"
                     "</hugepages></memoryBacking>\n" TAIL,
                     "memoryBacking/hugepages/page@nodeset: invalid nodeset 'x': expected a "
                     "CPU number (line 5)");
    expect_one_error(HEAD MEM "<memoryBacking>\n<hugepages/><source type='anonymous'/>"
                     "</memoryBacking>\n" TAIL,
                     "memoryBacking/hugepages: hugepages are not allowed with anonymous "
                     "memory source (line 6)");
    expect_one_error(HEAD MEM "<memoryBacking><source type='tmpfs'/></memoryBacking>\n" TAIL,
                     "memoryBacking/source@type: unsupported value 'tmpfs' (qlaunch supports: "
                     "anonymous, file, memfd) (line 5)");
    expect_one_error(HEAD MEM "<memoryBacking><access/></memoryBacking>\n" TAIL,
                     "memoryBacking/access: <access> needs a mode attribute (line 5)");
    expect_one_error(HEAD MEM "<memoryBacking><allocation threads='0'/></memoryBacking>\n"
                     TAIL, "memoryBacking/allocation@threads: must be 1 to 4096 (line 5)");
    expect_one_error(HEAD MEM "<cpu><numa><cell cpus='0' memory='1' unit='GiB' "
                     "memAccess='open'/></numa></cpu>\n" TAIL,
                     "cpu/numa/cell@memAccess: unsupported value 'open' (qlaunch supports: "
                     "shared, private) (line 5)");
}

static void test_iothreads(void **state)
{
    (void)state;
    struct res R;
    expect_ok(&R, HEAD MEM "<iothreads>4</iothreads>\n<iothreadids><iothread id='3'/>"
              "<iothread id='1'/></iothreadids>\n" TAIL);
    /* libvirt's order: the named ids, then the lowest free ones */
    assert_int_equal(R.d->n_iothreads, 4);
    assert_int_equal(R.d->iothreads[0].id, 3);
    assert_int_equal(R.d->iothreads[1].id, 1);
    assert_int_equal(R.d->iothreads[2].id, 2);
    assert_int_equal(R.d->iothreads[3].id, 4);
    done(&R);
    /* more ids than the count: the count follows the ids */
    expect_ok(&R, HEAD MEM "<iothreads>1</iothreads>\n<iothreadids><iothread id='7'/>"
              "<iothread id='5'/></iothreadids>\n" TAIL);
    assert_int_equal(R.d->n_iothreads, 2);
    assert_int_equal(R.d->iothreads[0].id, 7);
    done(&R);

    expect_one_error(HEAD MEM "<iothreads>many</iothreads>\n" TAIL,
                     "iothreads: invalid IOThread count 'many' (0 to 4096) (line 5)");
    expect_one_error(HEAD MEM "<iothreadids>\n<iothread id='0'/></iothreadids>\n" TAIL,
                     "iothreadids/iothread@id: invalid iothread id '0' (ids start at 1) "
                     "(line 6)");
    expect_one_error(HEAD MEM "<iothreadids><iothread id='2'/>\n<iothread id='2'/>"
                     "</iothreadids>\n" TAIL,
                     "iothreadids/iothread[2]@id: duplicate iothread id '2' (line 6)");
    expect_one_error(HEAD MEM "<iothreadids>\n<iothread/></iothreadids>\n" TAIL,
                     "iothreadids/iothread: <iothread> needs an id attribute (line 6)");
    /* pinning: the supervisor applies it (tests/func/affinity.sh); the id must exist */
    expect_ok(&R, HEAD MEM "<iothreads>2</iothreads><cputune>\n<iothreadpin iothread='2' "
                  "cpuset='0-1,^1'/></cputune>\n" TAIL);
    assert_int_equal(R.d->cputune.n_iothreadpins, 1);
    assert_int_equal(R.d->cputune.iothreadpins[0].vcpu, 2);
    assert_string_equal(R.d->cputune.iothreadpins[0].cpuset, "0-1,^1");
    done(&R);
    expect_one_error(HEAD MEM "<iothreads>1</iothreads><cputune>\n<iothreadpin iothread='3' "
                     "cpuset='0'/></cputune>\n" TAIL,
                     "cputune/iothreadpin@iothread: IOThread 3 does not exist (see <iothreads> "
                     "and <iothreadids>) (line 6)");
}

/* ---- diagnostics formatting ---- */

static void test_diag_format(void **state)
{
    (void)state;
    struct dom_diag a = {DOM_DIAG_ERROR, (char *)"devices/disk[2]/target@bus", 41,
                         (char *)"unsupported value 'foo'"};
    struct dom_diag b = {DOM_DIAG_NOTE, (char *)"on_crash", 0, (char *)"added a panic device"};
    char *s = dom_diag_format(&a);
    assert_string_equal(s, "devices/disk[2]/target@bus: unsupported value 'foo' (line 41)");
    free(s);
    s = dom_diag_format(&b);
    assert_string_equal(s, "on_crash: added a panic device");
    free(s);
    assert_string_equal(dom_diag_level_to_string(DOM_DIAG_ERROR), "error");
    assert_string_equal(dom_diag_level_to_string(DOM_DIAG_WARNING), "warning");
    assert_string_equal(dom_diag_level_to_string(DOM_DIAG_NOTE), "note");

    struct dom_diags g = {0};
    dom_diags_add(&g, DOM_DIAG_WARNING, NULL, 3, "w %d", 1);
    dom_diags_add(&g, DOM_DIAG_ERROR, "x", 4, "e %s", "two");
    assert_int_equal(g.n, 2);
    assert_int_equal(g.n_errors, 1);
    assert_string_equal(g.v[0].where, "domain");
    assert_string_equal(g.v[1].msg, "e two");
    dom_diags_free(&g);
    assert_int_equal(g.n, 0);
}

/* ---- the error object: place, text, errno ---- */

static void test_error_api(void **state)
{
    (void)state;
    struct ql_error err = QL_ERROR_INIT;
    /* unlocated: the text alone */
    assert_int_equal(ql_error_set(&err, ENOENT, "no '%s'", "x"), -ENOENT);
    assert_int_equal(err.code, ENOENT);
    assert_string_equal(err.msg, "no 'x'");
    assert_null(err.where);
    assert_int_equal(err.line, 0);
    assert_string_equal(ql_error_msg(&err), "no 'x'");
    /* the first error wins */
    assert_int_equal(ql_error_set_at(&err, EPERM, "a", 1, "second"), -EPERM);
    assert_string_equal(ql_error_msg(&err), "no 'x'");
    ql_error_clear(&err);
    assert_null(err.msg);
    assert_int_equal(err.code, 0);
    assert_string_equal(ql_error_msg(&err), "unknown error");

    /* located: where and line are fields, the display sentence has both */
    assert_int_equal(ql_error_set_at(&err, 0, "devices/disk[2]/target@bus", 41,
                                     "unknown bus '%s'", "foo"), -EINVAL);
    assert_int_equal(err.code, EINVAL);
    assert_string_equal(err.where, "devices/disk[2]/target@bus");
    assert_int_equal(err.line, 41);
    assert_string_equal(err.msg, "unknown bus 'foo'");
    assert_string_equal(ql_error_msg(&err),
                        "devices/disk[2]/target@bus: unknown bus 'foo' (line 41)");
    /* a prefix goes after the place; the place stays a field */
    ql_error_prefix(&err, "disk %d", 2);
    assert_string_equal(err.msg, "disk 2: unknown bus 'foo'");
    assert_string_equal(ql_error_msg(&err),
                        "devices/disk[2]/target@bus: disk 2: unknown bus 'foo' (line 41)");
    /* a located error keeps its inner place */
    ql_error_locate(&err, "devices", 3);
    assert_string_equal(err.where, "devices/disk[2]/target@bus");
    assert_int_equal(err.line, 41);
    ql_error_clear(&err);
    assert_null(err.where);
    assert_int_equal(err.line, 0);

    /* only a where, only a line */
    ql_error_set_at(&err, EINVAL, "os/nvram", 0, "missing");
    assert_string_equal(ql_error_msg(&err), "os/nvram: missing");
    ql_error_clear(&err);
    ql_error_set_at(&err, EINVAL, NULL, 7, "bad");
    assert_null(err.where);
    assert_string_equal(ql_error_msg(&err), "bad (line 7)");
    ql_error_clear(&err);

    /* errno: strerror appended in one place, either sign, -errnum returned */
    assert_int_equal(ql_error_errno(&err, ENOENT, "cannot open '%s'", "/x"), -ENOENT);
    assert_int_equal(err.code, ENOENT);
    char *want = xasprintf("cannot open '/x': %s", strerror(ENOENT));
    assert_string_equal(err.msg, want);
    assert_string_equal(ql_error_msg(&err), want);
    free(want);
    ql_error_clear(&err);
    assert_int_equal(ql_error_errno(&err, -EACCES, "cannot write"), -EACCES);
    want = xasprintf("cannot write: %s", strerror(EACCES));
    assert_string_equal(err.msg, want);
    free(want);
    /* an unlocated error takes the place it is about, then shows it */
    ql_error_prefix(&err, "NVRAM");
    ql_error_locate(&err, "devices/interface[1]", 33);
    want = xasprintf("devices/interface[1]: NVRAM: cannot write: %s (line 33)",
                     strerror(EACCES));
    assert_string_equal(ql_error_msg(&err), want);
    free(want);
    ql_error_clear(&err);
    assert_int_equal(ql_error_errno_at(&err, EIO, "os/nvram", 0, "cannot read"), -EIO);
    want = xasprintf("os/nvram: cannot read: %s", strerror(EIO));
    assert_string_equal(ql_error_msg(&err), want);
    free(want);
    ql_error_clear(&err);

    /* a NULL error object is allowed everywhere */
    assert_int_equal(ql_error_errno(NULL, EBUSY, "x"), -EBUSY);
    assert_int_equal(ql_error_set_at(NULL, EBUSY, "w", 1, "x"), -EBUSY);
    ql_error_locate(NULL, "w", 1);
    ql_error_prefix(NULL, "p");
    ql_error_clear(NULL);
    assert_string_equal(ql_error_msg(NULL), "unknown error");
    /* an unset error takes no place and no prefix */
    ql_error_locate(&err, "w", 1);
    ql_error_prefix(&err, "p");
    assert_null(err.where);
    assert_null(err.msg);
}

/* ---- `qlaunch validate`: a builder-only rejection keeps its place ---- */

/* Accepted by the parser, rejected by the command-line builder only. */
static const char builder_only_xml[] = HEAD MEM
    "<devices>\n"
    "<controller type='usb' model='none'/>\n"
    "<input type='tablet' bus='usb'/>\n"      /* line 7 */
    "</devices>\n" TAIL;
#define BUILDER_ONLY_MSG \
    "a USB device needs a USB controller, and there is none (controller model='none'?)"

static void test_builder_error_located(void **state)
{
    (void)state;
    struct res R;
    expect_ok(&R, builder_only_xml);
    struct qb_options o = {.qmp_fd = 3, .first_fd = 4};
    struct qb_result res = {0};
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(qb_build(R.d, &o, &res, &err), -EINVAL);
    assert_string_equal(err.where, "devices/input");
    assert_int_equal(err.line, 7);
    assert_string_equal(err.msg, BUILDER_ONLY_MSG);
    assert_string_equal(ql_error_msg(&err), "devices/input: " BUILDER_ONLY_MSG " (line 7)");
    /* and as a diagnostic, field by field */
    dom_diags_add_error(&R.g, DOM_DIAG_ERROR, &err);
    const struct dom_diag *g = &R.g.v[R.g.n - 1];
    assert_string_equal(g->where, "devices/input");
    assert_int_equal(g->line, 7);
    assert_string_equal(g->msg, BUILDER_ONLY_MSG);
    ql_error_clear(&err);
    done(&R);
}

static void test_validate_json_builder_error(void **state)
{
    (void)state;
    char dir[] = "/tmp/ql-validate-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *file = xasprintf("%s/d.xml", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    assert_int_equal(fputs(builder_only_xml, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    char *bin = tu_qlaunch_path();
    char *cmd = xasprintf("'%s' validate --json '%s'", bin, file);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    struct strbuf out = STRBUF_INIT;
    char buf[4096];
    size_t k;
    while ((k = fread(buf, 1, sizeof(buf), p)) > 0)
        sb_addn(&out, buf, k);
    int status = pclose(p);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);

    json_object *root = json_tokener_parse(sb_str(&out));
    if (!root)
        fail_msg("not JSON: %s", sb_str(&out));
    assert_false(ql_json_bool(root, "valid", true));
    json_object *files = ql_json_get(root, "files", json_type_array);
    assert_non_null(files);
    assert_int_equal(json_object_array_length(files), 1);
    json_object *diags = ql_json_get(json_object_array_get_idx(files, 0), "diagnostics",
                                     json_type_array);
    assert_non_null(diags);
    assert_int_equal(json_object_array_length(diags), 1);
    json_object *d = json_object_array_get_idx(diags, 0);
    assert_string_equal(ql_json_str(d, "level", ""), "error");
    assert_string_equal(ql_json_str(d, "where", ""), "devices/input");
    assert_int_equal(ql_json_int(d, "line", 0), 7);
    assert_string_equal(ql_json_str(d, "message", ""), BUILDER_ONLY_MSG);
    json_object_put(root);

    sb_free(&out);
    free(cmd);
    free(bin);
    unlink(file);
    rmdir(dir);
    free(file);
}

/* ---- minimal document, domain element ---- */

static void test_minimal(void **state)
{
    (void)state;
    struct res R;
    expect_ok(&R, HEAD MEM TAIL);
    struct domain *d = R.d;
    assert_int_equal(d->virt, DOM_VIRT_KVM);
    assert_int_equal(d->id, -1);
    assert_string_equal(d->name, "t");
    assert_int_equal(d->memory_kib, 1048576);
    assert_int_equal(d->current_memory_kib, 0);
    assert_int_equal(d->vcpus, 1);
    assert_int_equal(dom_vcpus_online(d), 1);
    assert_string_equal(dom_os_type_to_string(d->os.type), "hvm");
    assert_null(d->os.machine);
    assert_int_equal(d->os.bootmenu_timeout, -1);
    assert_false(d->cpu.present);
    assert_false(d->has_cputune);
    assert_int_equal(d->clock.offset, DOM_CLOCK_UTC);
    assert_int_equal(dom_on_poweroff(d), DOM_LC_DESTROY);
    assert_int_equal(dom_on_reboot(d), DOM_LC_RESTART);
    assert_int_equal(dom_on_crash(d), DOM_LC_DESTROY);
    assert_int_equal(d->dev.n_panics, 0);
    assert_string_equal(d->source_file, "test.xml");
    assert_int_equal(R.g.n, 0);
    done(&R);
}

static void test_domain_type_and_id(void **state)
{
    (void)state;
    struct res R;
    expect_ok(&R, "<domain type='qemu' id='7'>\n<name>t</name>\n<os><type>hvm</type></os>\n"
                  MEM TAIL);
    assert_int_equal(R.d->virt, DOM_VIRT_QEMU);
    assert_int_equal(R.d->id, 7);
    done(&R);

    expect_one_error("<domain type='xen'>\n<name>t</name>\n<os><type>hvm</type></os>\n" MEM TAIL,
                     "domain@type: unsupported domain type 'xen' (qlaunch runs 'kvm' and "
                     "'qemu') (line 1)");
    expect_one_error("<domain>\n<name>t</name>\n<os><type>hvm</type></os>\n" MEM TAIL,
                     "domain@type: missing domain type (expected 'kvm' or 'qemu') (line 1)");
    expect_one_error("<domain type='kvm' id='x'>\n<name>t</name>\n<os><type>hvm</type></os>\n"
                     MEM TAIL, "domain@id: 'x' is not a valid integer (line 1)");
    expect_one_error("<domain type='kvm' foo='1'>\n<name>t</name>\n<os><type>hvm</type></os>\n"
                     MEM TAIL, "domain@foo: unsupported attribute (line 1)");
}

/* ---- name ---- */

static void test_name(void **state)
{
    (void)state;
    struct res R;
    expect_ok(&R, "<domain type='kvm'>\n<name>web-1.example_2</name>\n"
                  "<os><type>hvm</type></os>\n" MEM TAIL);
    assert_string_equal(R.d->name, "web-1.example_2");
    done(&R);

    /* QEMU escapes commas (",,") so a comma is fine. */
    expect_ok(&R, "<domain type='kvm'>\n<name>web,prod</name>\n<os><type>hvm</type></os>\n"
                  MEM TAIL);
    assert_string_equal(R.d->name, "web,prod");
    done(&R);

    /* Non-ASCII UTF-8 is accepted as is. */
    expect_ok(&R, "<domain type='kvm'>\n<name>r\xc3\xa9seau</name>\n<os><type>hvm</type></os>\n"
                  MEM TAIL);
    assert_string_equal(R.d->name, "r\xc3\xa9seau");
    done(&R);

    char big[DOM_MAX_NAME + 2];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    char *xml = NULL;
    assert_true(asprintf(&xml, "<domain type='kvm'>\n<name>%s</name>\n"
                               "<os><type>hvm</type></os>\n" MEM TAIL, big) > 0);
    expect_one_error(xml, "name: the domain name is longer than 200 bytes (line 2)");
    free(xml);
    big[DOM_MAX_NAME] = '\0';
    assert_true(asprintf(&xml, "<domain type='kvm'>\n<name>%s</name>\n"
                               "<os><type>hvm</type></os>\n" MEM TAIL, big) > 0);
    expect_ok(&R, xml);
    assert_int_equal(strlen(R.d->name), DOM_MAX_NAME);
    done(&R);
    free(xml);
}

static void test_name_invalid(void **state)
{
    (void)state;
    expect_one_error("<domain type='kvm'>\n<name></name>\n<os><type>hvm</type></os>\n" MEM TAIL,
                     "name: the domain name is empty (line 2)");
    expect_one_error("<domain type='kvm'>\n<name>a/b</name>\n<os><type>hvm</type></os>\n" MEM
                     TAIL, "name: the domain name 'a/b' contains '/', which libvirt and qlaunch "
                     "reject (line 2)");
    expect_one_error("<domain type='kvm'>\n<name>..</name>\n<os><type>hvm</type></os>\n" MEM TAIL,
                     "name: the domain name '..' is reserved (line 2)");
    /* A newline inside the name, written literally and as a character reference. */
    expect_one_error("<domain type='kvm'>\n<name>a\nb</name>\n<os><type>hvm</type></os>\n" MEM
                     TAIL, "name: the domain name contains a control character (such as a "
                     "newline), which libvirt and qlaunch reject (line 2)");
    expect_one_error("<domain type='kvm'>\n<name>a&#10;b</name>\n<os><type>hvm</type></os>\n"
                     MEM TAIL, "name: the domain name contains a control character (such as a "
                     "newline), which libvirt and qlaunch reject (line 2)");
    expect_one_error("<domain type='kvm'>\n<os><type>hvm</type></os>\n" MEM TAIL,
                     "domain: missing <name> (line 1)");
    expect_one_error("<domain type='kvm'>\n<name>a</name>\n<name>b</name>\n"
                     "<os><type>hvm</type></os>\n" MEM TAIL,
                     "name[2]: element <name> may appear only once here (line 3)");
}

/* One set of name rules for validate (the parser), create (the run directory) and network
 * lookup: what one accepts, the others do. */
static void test_name_rules(void **state)
{
    (void)state;
    expect_one_error("<domain type='kvm'>\n<name>.hidden</name>\n<os><type>hvm</type></os>\n"
                     MEM TAIL, "name: the domain name '.hidden' starts with '.', which qlaunch "
                     "rejects (its files would be hidden) (line 2)");
    static const char *const bad[] = {"", ".", "..", ".x", "a/b", "a\nb", "a\x7f"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        char *why = dom_name_error("domain", bad[i]);
        assert_non_null(why);
        assert_false(dom_network_name_ok(bad[i]));
        struct sup_paths sp;
        struct ql_error err = QL_ERROR_INIT;
        assert_int_equal(sup_paths_init(&sp, "/run/qlaunch", bad[i], &err), -EINVAL);
        assert_string_equal(ql_error_msg(&err), why);
        ql_error_clear(&err);
        free(why);
    }
    /* X.last would share domain X's outcome file (issue 13 item 11). */
    {
        struct sup_paths sp;
        struct ql_error err = QL_ERROR_INIT;
        assert_int_equal(sup_paths_init(&sp, "/run/qlaunch", "web.last", &err), -EINVAL);
        assert_string_equal(ql_error_msg(&err), "the domain name 'web.last' ends in '.last', "
                            "which qlaunch uses for the outcome file of the domain 'web'");
        ql_error_clear(&err);
        assert_int_equal(sup_paths_init(&sp, "/run/qlaunch", "web.lastx", NULL), 0);
        sup_paths_free(&sp);
    }
    char *why = dom_name_error("network", "a/b");
    assert_string_equal(why, "the network name 'a/b' contains '/', which libvirt and qlaunch "
                        "reject");
    free(why);
    static const char *const good[] = {"web", "a.b", "x-1_2", "web,prod", "n..", "ü"};
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
        assert_null(dom_name_error("domain", good[i]));
        assert_true(dom_network_name_ok(good[i]));
        struct sup_paths sp;
        assert_int_equal(sup_paths_init(&sp, "/run/qlaunch", good[i], NULL), 0);
        sup_paths_free(&sp);
    }
    /* Path components (channel target names in automatic socket paths). */
    assert_null(dom_path_component_error("org.qemu.guest_agent.0"));
    assert_null(dom_path_component_error(".x"));
    assert_string_equal(dom_path_component_error(""), "is empty");
    assert_string_equal(dom_path_component_error(".."), "is '.' or '..'");
    assert_string_equal(dom_path_component_error("a/b"), "contains '/'");
    assert_string_equal(dom_path_component_error("a\tb"), "contains a control character");
}

/* At most DOM_MAX_DIAGS are kept, the first error always; the rest are counted. */
static void test_diag_cap(void **state)
{
    (void)state;
    struct dom_diags g = {0};
    for (int i = 0; i < 150; i++)
        dom_diags_add(&g, DOM_DIAG_NOTE, "x", i, "note %d", i);
    dom_diags_add(&g, DOM_DIAG_ERROR, "y", 7, "the error");
    dom_diags_add(&g, DOM_DIAG_ERROR, "z", 8, "another error");
    assert_int_equal(g.n, DOM_MAX_DIAGS + 1);
    assert_string_equal(g.v[DOM_MAX_DIAGS].msg, "the error");
    assert_int_equal(g.n_errors, 2);
    assert_int_equal(g.n_omitted, 51);
    dom_diags_free(&g);

    /* Through the parser: 150 unknown elements give 100 messages and count 150 errors. */
    char *xml = NULL;
    char els[150 * 4 + 1] = "";
    for (int i = 0; i < 150; i++)
        strcat(els, "<x/>");
    assert_true(asprintf(&xml, HEAD MEM "%s" TAIL, els) > 0);
    struct res R;
    run(&R, xml);
    assert_int_equal(R.r, -EINVAL);
    assert_int_equal(R.g.n, DOM_MAX_DIAGS);
    assert_int_equal(R.g.n_errors, 150);
    assert_int_equal(R.g.n_omitted, 50);
    assert_error(&R, "x[100]: unsupported element <x> (line 5)");
    done(&R);
    free(xml);
}

/* The element and attribute caps are counted on the raw text, before libxml2: '=' in
 * quoted values, comments, CDATA and processing instructions are not attributes. */
static void test_xml_caps(void **state)
{
    (void)state;
    struct strbuf attrs = STRBUF_INIT, eqs = STRBUF_INIT;
    for (int i = 0; i < DOM_XML_MAX_ATTRS - 1; i++)     /* + xmlns:app = the cap */
        sb_addf(&attrs, " a%d='%d'", i, i);
    for (int i = 0; i < 1000; i++)
        sb_add(&eqs, "a=");
    char *xml = xasprintf(HEAD MEM "<metadata><app:x xmlns:app='urn:x'%s b='%s'/>"
                          "<!-- <y %s/> --><app:y xmlns:app='urn:x'><![CDATA[ <z %s> ]]>"
                          "<?pi %s?></app:y></metadata>" TAIL,
                          sb_str(&attrs), sb_str(&eqs), sb_str(&eqs), sb_str(&eqs),
                          sb_str(&eqs));
    struct res R;
    run(&R, xml);
    /* one attribute too many: b */
    assert_error(&R, "domain: element <app:x> has more than 256 attributes (line 5)");
    done(&R);
    free(xml);
    xml = xasprintf(HEAD MEM "<metadata><app:x xmlns:app='urn:x'%s/>"
                    "<!-- <y %s/> --><app:y xmlns:app='urn:x' b='%s'><![CDATA[ <z %s> ]]>"
                    "<?pi %s?></app:y></metadata>" TAIL,
                    sb_str(&attrs), sb_str(&eqs), sb_str(&eqs), sb_str(&eqs), sb_str(&eqs));
    expect_ok(&R, xml);
    done(&R);
    free(xml);
    sb_free(&attrs);
    sb_free(&eqs);

    struct strbuf els = STRBUF_INIT;
    for (int i = 0; i < DOM_XML_MAX_ELEMENTS - 5; i++)   /* domain, name, os, type, memory */
        sb_add(&els, "<x/>");
    xml = xasprintf(HEAD MEM "<metadata><app:y xmlns:app='urn:x'>%s</app:y></metadata>" TAIL,
                    sb_str(&els));
    run(&R, xml);
    /* with <metadata> and <app:y>, two elements too many */
    assert_error(&R, "domain: the document has more than 100000 elements (line 5)");
    done(&R);
    free(xml);
    xml = xasprintf(HEAD MEM "<metadata>%s</metadata>" TAIL, sb_str(&els) + 8);
    expect_ok(&R, xml);
    done(&R);
    free(xml);
    sb_free(&els);
}

/* ---- uuid ---- */

static const unsigned char seed_uuid[16] = {0xb3, 0xc4, 0x0c, 0x40, 0xd5, 0xc6, 0x11, 0xe3,
                                            0xb2, 0x2d, 0x00, 0x8c, 0xfa, 0x0c, 0x6c, 0xaa};

static void test_uuid(void **state)
{
    (void)state;
    struct res R;
    expect_ok(&R, HEAD MEM "<uuid>b3c40c40-d5c6-11e3-b22d-008cfa0c6caa</uuid>\n" TAIL);
    assert_true(R.d->has_uuid);
    assert_memory_equal(R.d->uuid, seed_uuid, 16);
    done(&R);

    expect_ok(&R, HEAD MEM "<uuid>B3C40C40D5C611E3B22D008CFA0C6CAA</uuid>\n" TAIL);
    assert_true(R.d->has_uuid);
    assert_memory_equal(R.d->uuid, seed_uuid, 16);
    done(&R);

    unsigned char u[16];
    assert_int_equal(dom_parse_uuid("b3c40c40-d5c6-11e3-b22d-008cfa0c6caa", u), 0);
    assert_memory_equal(u, seed_uuid, 16);
    assert_int_equal(dom_parse_uuid("b3c40c40d5c611e3b22d008cfa0c6caa", u), 0);
    assert_memory_equal(u, seed_uuid, 16);
    assert_int_equal(dom_parse_uuid("b3c40c40-d5c6-11e3-b22d-008cfa0c6ca", u), -EINVAL);
    assert_int_equal(dom_parse_uuid("b3c40c40-d5c6-11e3-b22d-008cfa0c6caa0", u), -EINVAL);
    assert_int_equal(dom_parse_uuid("b3c40c40-d5c6-11e3-b22d-008cfa0c6cag", u), -EINVAL);
    assert_int_equal(dom_parse_uuid("b-3c40c40d5c611e3b22d008cfa0c6caa", u), -EINVAL);
    assert_int_equal(dom_parse_uuid("", u), -EINVAL);

    expect_one_error(HEAD MEM "<uuid>not-a-uuid</uuid>\n" TAIL,
                     "uuid: invalid UUID 'not-a-uuid' (line 5)");
    /* <vcpus> (running form): the online vCPUs must be 0..N-1 */
    struct res V;
    expect_ok(&V, HEAD MEM "<vcpu current='1'>2</vcpu>\n<vcpus><vcpu id='0' enabled='yes' "
              "hotpluggable='no'/><vcpu id='1' enabled='no' hotpluggable='yes'/></vcpus>\n"
              TAIL);
    assert_int_equal(V.d->vcpus_current, 1);
    done(&V);
    expect_one_error(HEAD MEM "<vcpu>3</vcpu>\n<vcpus><vcpu id='0' enabled='yes'/>"
                     "<vcpu id='1' enabled='no' hotpluggable='yes'/><vcpu id='2' "
                     "enabled='yes'/></vcpus>\n" TAIL,
                     "vcpus: vCPU 1 is offline but a higher one is online: qlaunch starts "
                     "vCPUs 0 to N-1 (-smp N,maxcpus=3) and does not hot-plug vCPUs at start "
                     "(line 6)");
    expect_one_error(HEAD MEM "<vcpu>2</vcpu>\n<vcpus><vcpu id='0' enabled='yes'/></vcpus>\n"
                     TAIL,
                     "vcpus: <vcpus> does not list vCPU 1 (it lists each of the 2) (line 6)");
    expect_one_error(HEAD MEM "<vcpu current='2'>2</vcpu>\n<vcpus><vcpu id='0' enabled='yes'/>"
                     "<vcpu id='1' enabled='no' hotpluggable='yes'/></vcpus>\n" TAIL,
                     "vcpus: <vcpus> has 1 vCPUs online but <vcpu current='2'> (line 6)");
    /* refusals that say what to do (issue 8 item 12) */
    expect_one_error(HEAD MEM "<launchSecurity type='sev'><policy>0x3</policy>"
                     "</launchSecurity>\n" TAIL,
                     "launchSecurity: <launchSecurity type='sev'> (AMD SEV memory "
                     "encryption) is not supported: qlaunch does not create the "
                     "confidential-guest object, measure the launch or pass attestation "
                     "secrets; remove <launchSecurity> to run the guest unencrypted, or start "
                     "it with libvirt (line 5)");
    expect_one_error(HEAD MEM "<launchSecurity type='pef'/>\n" TAIL,
                     "launchSecurity@type: unknown launch security type 'pef' (libvirt knows "
                     "sev, sev-snp, tdx and s390-pv; qlaunch supports none of them) (line 5)");
    expect_one_error(HEAD MEM "<devices>\n<interface type='user'>\n<filterref "
                     "filter='clean-traffic'><parameter name='IP' value='10.0.0.1'/>"
                     "</filterref>\n</interface>\n</devices>\n" TAIL,
                     "devices/interface/filterref: network filter 'clean-traffic' (libvirt's "
                     "nwfilter) is not supported by qlaunch; filter the guest's traffic on the "
                     "host (nftables on its tap or bridge) and remove <filterref> (line 7)");
}

static void test_uuid_default_is_name_based(void **state)
{
    (void)state;
    struct res A, B, C;
    expect_ok(&A, HEAD MEM TAIL);
    expect_ok(&B, HEAD MEM TAIL);
    expect_ok(&C, "<domain type='kvm'>\n<name>other</name>\n<os><type>hvm</type></os>\n" MEM
                  TAIL);
    static const unsigned char zero[16];
    assert_false(A.d->has_uuid);
    assert_memory_not_equal(A.d->uuid, zero, 16);
    assert_memory_equal(A.d->uuid, B.d->uuid, 16);     /* same XML, same argv */
    assert_memory_not_equal(A.d->uuid, C.d->uuid, 16);
    done(&A);
    done(&B);
    done(&C);

    /* An empty <uuid/> (vagrant-libvirt) is a missing one: the same derived UUID. */
    struct res E, W;
    expect_ok(&A, HEAD MEM TAIL);
    expect_ok(&E, HEAD MEM "<uuid/>\n" TAIL);
    expect_ok(&W, HEAD MEM "<uuid>  </uuid>\n" TAIL);
    assert_false(E.d->has_uuid);
    assert_false(W.d->has_uuid);
    assert_memory_equal(A.d->uuid, E.d->uuid, 16);
    assert_memory_equal(A.d->uuid, W.d->uuid, 16);
    done(&A);
    done(&E);
    done(&W);
}

/* ---- memory ---- */

static void test_memory_units(void **state)
{
    (void)state;
    static const struct {
        const char *value, *unit;
        unsigned long long kib;
    } ok[] = {
        {"1024", "b", 1},
        {"1025", "b", 2},               /* rounded up to whole KiB */
        {"1", "b", 1},
        {"0", "b", 0},
        {"2048", "bytes", 2},
        {"1", "KB", 1},                 /* 1000 bytes -> 1 KiB */
        {"1024", "KB", 1000},
        {"3", "k", 3},
        {"3", "K", 3},
        {"5", "KiB", 5},
        {"5", NULL, 5},                 /* default unit is KiB */
        {"1", "MB", 977},               /* 1000000 / 1024 = 976.56 */
        {"1", "M", 1024},
        {"2", "MiB", 2048},
        {"1", "GB", 976563},            /* 976562.5 rounded up */
        {"1", "G", 1048576},
        {"4", "GiB", 4194304},
        {"1", "TB", 976562500},
        {"1", "T", 1073741824ULL},
        {"2", "TiB", 2147483648ULL},
        {"1", "PiB", 1099511627776ULL},
        {"1", "EiB", 1125899906842624ULL},
        {"15", "EiB", 15ULL * 1125899906842624ULL},
        {"18446744073709551615", "b", 18014398509481984ULL},   /* 2^64-1 bytes */
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        unsigned long long kib = 12345;
        const char *why = NULL;
        int r = dom_parse_memory_unit(ok[i].value, ok[i].unit, &kib, &why);
        if (r != 0 || kib != ok[i].kib)
            fail_msg("%s %s: r=%d kib=%llu (%s), want %llu", ok[i].value,
                     ok[i].unit ? ok[i].unit : "(none)", r, kib, why ? why : "", ok[i].kib);
    }

    static const struct {
        const char *value, *unit;
        int r;
        const char *why;
    } bad[] = {
        {"16", "EiB", -ERANGE, "too large: it overflows 64 bits in bytes"},
        {"17", "EiB", -ERANGE, "too large: it overflows 64 bits in bytes"},
        {"18446744073709551615", "KiB", -ERANGE, "too large: it overflows 64 bits in bytes"},
        {"18446744073709551616", "b", -EINVAL, "too large"},
        {"-1", "KiB", -EINVAL, "not a non-negative integer"},
        {"+1", "KiB", -EINVAL, "not a non-negative integer"},
        {" 1", "KiB", -EINVAL, "not a non-negative integer"},
        {"1.5", "GiB", -EINVAL, "not a non-negative integer"},
        {"1k", NULL, -EINVAL, "not a non-negative integer"},
        {"", NULL, -EINVAL, "not a non-negative integer"},
        {"1", "mb", -EINVAL, "unknown unit"},
        {"1", "kib", -EINVAL, "unknown unit"},
        {"1", "", -EINVAL, "unknown unit"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        unsigned long long kib = 0;
        const char *why = NULL;
        int r = dom_parse_memory_unit(bad[i].value, bad[i].unit, &kib, &why);
        if (r != bad[i].r || !why || strcmp(why, bad[i].why) != 0)
            fail_msg("'%s' '%s': r=%d why=%s, want %d %s", bad[i].value,
                     bad[i].unit ? bad[i].unit : "(none)", r, why ? why : "(null)", bad[i].r,
                     bad[i].why);
    }
}

static void test_memory_elements(void **state)
{
    (void)state;
    struct res R;
    expect_ok(&R, HEAD "<memory unit='GiB' dumpCore='off'>2</memory>\n"
                       "<currentMemory unit='MiB'>1536</currentMemory>\n"
                       "<maxMemory slots='16' unit='GiB'>8</maxMemory>\n" TAIL);
    struct domain *d = R.d;
    assert_int_equal(d->memory_kib, 2097152);
    assert_int_equal(d->current_memory_kib, 1572864);
    assert_int_equal(d->max_memory_kib, 8388608);
    assert_int_equal(d->max_memory_slots, 16);
    assert_true(d->mem_dump_core_set);
    assert_false(d->mem_dump_core);
    assert_int_equal(d->mem_line[0], 4);
    assert_int_equal(d->mem_line[1], 5);
    assert_int_equal(d->mem_line[2], 6);
    done(&R);

    /* The unit applies to bytes and rounds up; currentMemory == memory is fine. */
    expect_ok(&R, HEAD "<memory unit='b'>1048577</memory>\n"
                       "<currentMemory unit='KiB'>1025</currentMemory>\n" TAIL);
    assert_int_equal(R.d->memory_kib, 1025);
    assert_int_equal(R.d->current_memory_kib, 1025);
    done(&R);

    expect_ok(&R, HEAD "<memory>524288</memory>\n" TAIL);
    assert_int_equal(R.d->memory_kib, 524288);
    assert_false(R.d->mem_dump_core_set);
    done(&R);
}

static void test_memory_invalid(void **state)
{
    (void)state;
    expect_one_error(HEAD TAIL, "domain: missing <memory> (line 1)");
    expect_one_error(HEAD "<memory unit='XB'>1</memory>\n" TAIL,
                     "memory@unit: unknown memory unit 'XB' (line 4)");
    expect_one_error(HEAD "<memory unit='EiB'>17</memory>\n" TAIL,
                     "memory: invalid <memory> value '17': too large: it overflows 64 bits in "
                     "bytes (line 4)");
    expect_one_error(HEAD "<memory>lots</memory>\n" TAIL,
                     "memory: invalid <memory> value 'lots': not a non-negative integer "
                     "(line 4)");
    expect_one_error(HEAD "<memory>-1</memory>\n" TAIL,
                     "memory: invalid <memory> value '-1': not a non-negative integer (line 4)");
    expect_one_error(HEAD "<memory>0</memory>\n" TAIL,
                     "memory: memory size must be greater than zero (line 4)");
    expect_one_error(HEAD "<memory unit='TiB'>17</memory>\n" TAIL,
                     "memory: memory size 18253611008 KiB is larger than qlaunch's 16 TiB limit "
                     "(line 4)");
    expect_one_error(HEAD "<memory unit='GiB'>1</memory>\n"
                          "<currentMemory unit='GiB'>2</currentMemory>\n" TAIL,
                     "currentMemory: currentMemory (2097152 KiB) is larger than memory "
                     "(1048576 KiB) (line 5)");
    expect_one_error(HEAD "<memory unit='GiB'>1</memory>\n"
                          "<currentMemory unit='KiB'>1048577</currentMemory>\n" TAIL,
                     "currentMemory: currentMemory (1048577 KiB) is larger than memory "
                     "(1048576 KiB) (line 5)");
    expect_one_error(HEAD "<memory unit='GiB'>4</memory>\n"
                          "<maxMemory slots='4' unit='GiB'>2</maxMemory>\n" TAIL,
                     "maxMemory: maxMemory (2097152 KiB) is smaller than memory (4194304 KiB) "
                     "(line 5)");
    expect_one_error(HEAD MEM "<maxMemory unit='GiB'>8</maxMemory>\n" TAIL,
                     "maxMemory: missing slots attribute (line 5)");
    expect_one_error(HEAD MEM "<maxMemory slots='x' unit='GiB'>8</maxMemory>\n" TAIL,
                     "maxMemory@slots: 'x' is not a valid non-negative integer (line 5)");
    expect_one_error(HEAD "<memory dumpCore='maybe'>1024</memory>\n" TAIL,
                     "memory@dumpCore: 'maybe' is not one of on, off, yes, no (line 4)");
    expect_one_error(HEAD MEM "<memory>1</memory>\n" TAIL,
                     "memory[2]: element <memory> may appear only once here (line 5)");
}

/* ---- vcpu, cpuset ---- */

static void test_vcpu(void **state)
{
    (void)state;
    struct res R;
    expect_ok(&R, HEAD MEM
              "<vcpu placement='static' cpuset='0-3,^2,8' current='2'>4</vcpu>\n" TAIL);
    struct domain *d = R.d;
    assert_int_equal(d->vcpus, 4);
    assert_int_equal(d->vcpus_current, 2);
    assert_int_equal(dom_vcpus_online(d), 2);
    assert_string_equal(dom_vcpu_placement_to_string(d->vcpu_placement), "static");
    assert_string_equal(d->vcpu_cpuset, "0-3,^2,8");
    assert_int_equal(d->vcpu_line, 5);
    done(&R);

    expect_ok(&R, HEAD MEM "<vcpu>4096</vcpu>\n" TAIL);
    assert_int_equal(R.d->vcpus, 4096);
    assert_int_equal(dom_vcpus_online(R.d), 4096);
    assert_int_equal(R.d->vcpu_placement, 0);
    assert_null(R.d->vcpu_cpuset);
    done(&R);
}

static void test_vcpu_invalid(void **state)
{
    (void)state;
    expect_one_error(HEAD MEM "<vcpu>0</vcpu>\n" TAIL,
                     "vcpu: invalid vCPU count '0' (1 to 4096) (line 5)");
    expect_one_error(HEAD MEM "<vcpu>4097</vcpu>\n" TAIL,
                     "vcpu: invalid vCPU count '4097' (1 to 4096) (line 5)");
    expect_one_error(HEAD MEM "<vcpu>two</vcpu>\n" TAIL,
                     "vcpu: invalid vCPU count 'two' (1 to 4096) (line 5)");
    expect_one_error(HEAD MEM "<vcpu>-2</vcpu>\n" TAIL,
                     "vcpu: invalid vCPU count '-2' (1 to 4096) (line 5)");
    expect_one_error(HEAD MEM "<vcpu current='8'>4</vcpu>\n" TAIL,
                     "vcpu@current: current vCPUs (8) exceed the maximum (4) (line 5)");
    expect_one_error(HEAD MEM "<vcpu placement='auto'>4</vcpu>\n" TAIL,
                     "vcpu@placement: unsupported value 'auto' (qlaunch supports: static) "
                     "(line 5)");
    expect_one_error(HEAD MEM "<vcpu cpuset='0-'>4</vcpu>\n" TAIL,
                     "vcpu@cpuset: invalid cpuset '0-': expected a CPU number after '-' "
                     "(line 5)");
    expect_one_error(HEAD MEM "<vcpu cpuset='^1'>4</vcpu>\n" TAIL,
                     "vcpu@cpuset: invalid cpuset '^1': no CPU is included (line 5)");
    expect_one_error(HEAD MEM "<vcpu cpuset='3-1'>4</vcpu>\n" TAIL,
                     "vcpu@cpuset: invalid cpuset '3-1': invalid range (line 5)");
}

static void test_cpuset(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        unsigned max;
    } ok[] = {
        {"0", 0}, {"7", 7}, {"0-3", 3}, {"0-3,^2,8", 8}, {"^8,0-3,8", 8},
        {"1,3,5", 5}, {"4095", 4095}, {"2-2", 2}, {"0-7,^3,^5", 7},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        unsigned max = 99999;
        const char *why = NULL;
        if (dom_parse_cpuset(ok[i].s, &max, &why) != 0 || max != ok[i].max)
            fail_msg("'%s': why=%s max=%u, want %u", ok[i].s, why ? why : "", max, ok[i].max);
    }
    const char *why = NULL;
    assert_int_equal(dom_parse_cpuset("0-3", NULL, &why), 0);

    static const struct {
        const char *s, *why;
    } bad[] = {
        {"", "empty cpuset"},
        {"a", "expected a CPU number"},
        {" 1", "expected a CPU number"},
        {"0,,1", "expected a CPU number"},
        {"-1", "expected a CPU number"},
        {"1,", "trailing ','"},
        {"0-", "expected a CPU number after '-'"},
        {"3-1", "invalid range"},
        {"0-4096", "invalid range"},
        {"4096", "CPU number over 4095"},
        {"99999999999999999999999", "CPU number over 4095"},
        {"^0-3", "a range cannot be excluded with '^'"},
        {"^1", "no CPU is included"},
        {"^1,^2", "no CPU is included"},
        {"1;2", "unexpected character"},
        {"1 ", "unexpected character"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why = NULL;
        unsigned max;
        int r = dom_parse_cpuset(bad[i].s, &max, &why);
        if (r != -EINVAL || !why || strcmp(why, bad[i].why) != 0)
            fail_msg("'%s': r=%d why=%s, want %s", bad[i].s, r, why ? why : "(null)",
                     bad[i].why);
    }
    why = NULL;
    assert_int_equal(dom_parse_cpuset(NULL, NULL, &why), -EINVAL);
    assert_string_equal(why, "empty cpuset");
}

/* ---- cputune ---- */

static void test_cputune(void **state)
{
    (void)state;
    struct res R;
    expect_ok(&R, HEAD MEM "<vcpu>2</vcpu>\n"
                  "<cputune>\n"
                  "<vcpupin vcpu='0' cpuset='1-2'/>\n"
                  "<vcpupin vcpu='1' cpuset='3,^4,5'/>\n"
                  "<emulatorpin cpuset='0'/>\n"
                  "</cputune>\n" TAIL);
    struct dom_cputune *t = &R.d->cputune;
    assert_true(R.d->has_cputune);
    assert_int_equal(t->n_vcpupins, 2);
    assert_int_equal(t->vcpupins[0].vcpu, 0);
    assert_string_equal(t->vcpupins[0].cpuset, "1-2");
    assert_int_equal(t->vcpupins[1].vcpu, 1);
    assert_string_equal(t->vcpupins[1].cpuset, "3,^4,5");
    assert_string_equal(t->emulatorpin, "0");
    assert_false(t->has_shares);
    done(&R);

    /* Shares are a relative weight: accepted with a note saying they are not applied (nova
     * wrote them on every guest until Yoga). Period and quota limit the guest and need
     * cgroups, which qlaunch does not manage: rejected with a hint instead of dropped. */
    expect_ok(&R, HEAD MEM "<cputune><shares>2048</shares></cputune>\n" TAIL);
    assert_true(R.d->cputune.has_shares);
    assert_diag(&R, DOM_DIAG_NOTE, "cputune/shares: CPU weight 2048 is not applied: qlaunch "
                "does not manage cgroups; set CPUWeight= on the systemd unit that runs 'qlaunch "
                "create --foreground' to weigh this guest against others (line 5)");
    done(&R);
    static const char *const cg[] = {"<period>100000</period>", "<quota>-1</quota>"};
    for (size_t i = 0; i < sizeof(cg) / sizeof(cg[0]); i++) {
        char xml[1024];
        snprintf(xml, sizeof(xml), HEAD MEM "<cputune>%s</cputune>\n" TAIL, cg[i]);
        expect_one_error(xml, "cputune: CPU period and quota need cgroups, which qlaunch does "
                         "not manage; remove them, or set CPUQuota= on the systemd unit that "
                         "runs 'qlaunch create --foreground' (line 5)");
    }
}

static void test_cpuset_mask(void **state)
{
    (void)state;
    cpu_set_t set;
    assert_int_equal(dom_cpuset_to_mask("0-3,^2,8", &set), 0);
    assert_int_equal(CPU_COUNT(&set), 4);
    assert_true(CPU_ISSET(0, &set) && CPU_ISSET(1, &set) && CPU_ISSET(3, &set));
    assert_true(CPU_ISSET(8, &set));
    assert_false(CPU_ISSET(2, &set));
    /* an exclusion before its range still wins, as in libvirt */
    assert_int_equal(dom_cpuset_to_mask("^1,0-2", &set), 0);
    assert_int_equal(CPU_COUNT(&set), 2);
    assert_false(CPU_ISSET(1, &set));
    assert_int_equal(dom_cpuset_to_mask("3-1", &set), -EINVAL);
}

static void test_cputune_invalid(void **state)
{
    (void)state;
    expect_one_error(HEAD MEM "<cputune>\n<period>999</period>\n</cputune>\n" TAIL,
                     "cputune/period: invalid period '999' (1000 to 1000000 microseconds) "
                     "(line 6)");
    expect_one_error(HEAD MEM "<cputune>\n<period>1000001</period>\n</cputune>\n" TAIL,
                     "cputune/period: invalid period '1000001' (1000 to 1000000 microseconds) "
                     "(line 6)");
    expect_one_error(HEAD MEM "<cputune>\n<quota>10</quota>\n</cputune>\n" TAIL,
                     "cputune/quota: invalid quota '10' (line 6)");
    expect_one_error(HEAD MEM "<cputune>\n<shares>lots</shares>\n</cputune>\n" TAIL,
                     "cputune/shares: invalid value 'lots' (line 6)");
    expect_one_error(HEAD MEM "<cputune>\n<emulatorpin cpuset='x'/>\n</cputune>\n" TAIL,
                     "cputune/emulatorpin@cpuset: invalid cpuset 'x': expected a CPU number "
                     "(line 6)");
    expect_one_error(HEAD MEM "<cputune>\n<emulatorpin/>\n</cputune>\n" TAIL,
                     "cputune/emulatorpin: missing cpuset attribute (line 6)");
    expect_one_error(HEAD MEM "<cputune>\n<vcpupin vcpu='0'/>\n</cputune>\n" TAIL,
                     "cputune/vcpupin: missing cpuset attribute (line 6)");
    expect_one_error(HEAD MEM "<cputune>\n<vcpupin cpuset='1'/>\n</cputune>\n" TAIL,
                     "cputune/vcpupin: missing vcpu attribute (line 6)");
    expect_one_error(HEAD MEM "<cputune>\n<vcpupin vcpu='0' cpuset='1-'/>\n</cputune>\n" TAIL,
                     "cputune/vcpupin@cpuset: invalid cpuset '1-': expected a CPU number after "
                     "'-' (line 6)");
    expect_one_error(HEAD MEM "<iothreads>1</iothreads><cputune>\n<iothreadpin iothread='1'/>"
                     "\n</cputune>\n" TAIL,
                     "cputune/iothreadpin: missing cpuset attribute (line 6)");
}

/* A negative number of shares must not wrap around to 2^64 - 5. */
static void test_cputune_negative_shares(void **state)
{
    (void)state;
    expect_one_error(HEAD MEM "<cputune>\n<shares>-5</shares>\n</cputune>\n" TAIL,
                     "cputune/shares: invalid value '-5' (line 6)");
}

/* A pin for a vCPU that does not exist names the <vcpupin> and its line. */
static void test_cputune_vcpupin_range(void **state)
{
    (void)state;
    struct res R;
    run(&R, HEAD MEM "<vcpu>2</vcpu>\n"
            "<cputune>\n"
            "<vcpupin vcpu='0' cpuset='0'/>\n"
            "<vcpupin vcpu='4' cpuset='1'/>\n"
            "</cputune>\n" TAIL);
    assert_int_equal(R.r, -EINVAL);
    assert_int_equal(R.g.n_errors, 1);
    const struct dom_diag *g = find_like(&R, DOM_DIAG_ERROR, "cputune/vcpupin",
                                         "vCPU 4 does not exist (the domain has 2)");
    if (!g) {
        dump(&R);
        fail_msg("missing the vcpupin range error");
    }
    if (g->line != 8) {
        dump(&R);
        fail_msg("the vcpupin error points at line %d, not at the <vcpupin> on line 8",
                 g->line);
    }
    done(&R);
}

/* ---- cpu ---- */

static void test_cpu(void **state)
{
    (void)state;
    struct res R;
    expect_ok(&R, HEAD "<memory unit='GiB'>1</memory>\n"
                  "<vcpu>4</vcpu>\n"
                  "<cpu mode='custom' match='exact' check='partial' migratable='on'>\n"
                  "<model fallback='forbid'>Skylake-Client</model>\n"
                  "<vendor>Intel</vendor>\n"
                  "<topology sockets='1' dies='1' cores='2' threads='2'/>\n"
                  "<feature policy='require' name='vmx'/>\n"
                  "<feature policy='disable' name='hle'/>\n"
                  "<feature name='pcid'/>\n"
                  "<numa>\n"
                  "<cell id='0' cpus='0-1' memory='512' unit='MiB'/>\n"
                  "<cell id='1' cpus='2-3' memory='524288'/>\n"
                  "</numa>\n"
                  "</cpu>\n" TAIL);
    struct dom_cpu *c = &R.d->cpu;
    assert_true(c->present);
    assert_true(c->has_mode);
    assert_int_equal(c->mode, DOM_CPU_MODE_CUSTOM);
    assert_string_equal(dom_cpu_match_to_string(c->match), "exact");
    assert_string_equal(dom_cpu_check_to_string(c->check), "partial");
    assert_string_equal(c->model, "Skylake-Client");
    assert_string_equal(dom_cpu_fallback_to_string(c->model_fallback), "forbid");
    assert_string_equal(c->vendor, "Intel");
    assert_int_equal(c->sockets, 1);
    assert_int_equal(c->dies, 1);
    assert_int_equal(c->clusters, 1);
    assert_int_equal(c->cores, 2);
    assert_int_equal(c->threads, 2);
    assert_int_equal(c->n_features, 3);
    assert_string_equal(c->features[0].name, "vmx");
    assert_int_equal(c->features[0].policy, DOM_CPU_FEAT_REQUIRE);
    assert_string_equal(c->features[1].name, "hle");
    assert_int_equal(c->features[1].policy, DOM_CPU_FEAT_DISABLE);
    assert_string_equal(c->features[2].name, "pcid");
    assert_int_equal(c->features[2].policy, DOM_CPU_FEAT_REQUIRE);
    assert_int_equal(c->n_cells, 2);
    assert_int_equal(c->cells[0].id, 0);
    assert_string_equal(c->cells[0].cpus, "0-1");
    assert_int_equal(c->cells[0].memory_kib, 524288);
    assert_int_equal(c->cells[1].id, 1);
    assert_string_equal(c->cells[1].cpus, "2-3");
    assert_int_equal(c->cells[1].memory_kib, 524288);
    assert_string_equal(c->src.path, "cpu");
    assert_int_equal(c->src.line, 6);
    done(&R);

    static const struct {
        const char *mode;
        enum dom_cpu_mode v;
    } modes[] = {{"host-passthrough", DOM_CPU_MODE_HOST_PASSTHROUGH},
                 {"host-model", DOM_CPU_MODE_HOST_MODEL},
                 {"maximum", DOM_CPU_MODE_MAXIMUM},
                 {"custom", DOM_CPU_MODE_CUSTOM}};
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        char *xml = NULL;
        assert_true(asprintf(&xml, HEAD MEM "<cpu mode='%s'/>\n" TAIL, modes[i].mode) > 0);
        expect_ok(&R, xml);
        assert_int_equal(R.d->cpu.mode, modes[i].v);
        assert_null(R.d->cpu.model);
        assert_int_equal(R.d->cpu.sockets, 0);
        done(&R);
        free(xml);
    }

    /* <cpu> without mode: custom, has_mode false; fallback allow; an empty <model/>. */
    expect_ok(&R, HEAD MEM "<cpu><model fallback='allow'/></cpu>\n" TAIL);
    assert_false(R.d->cpu.has_mode);
    assert_null(R.d->cpu.model);
    assert_string_equal(dom_cpu_fallback_to_string(R.d->cpu.model_fallback), "allow");
    done(&R);

    /* A topology matching <vcpu>, with clusters. */
    expect_ok(&R, HEAD MEM "<vcpu>8</vcpu>\n"
                  "<cpu><topology sockets='2' clusters='2' cores='2' threads='1'/></cpu>\n" TAIL);
    assert_int_equal(R.d->cpu.clusters, 2);
    assert_int_equal(R.d->cpu.dies, 1);
    done(&R);
}

static void test_cpu_invalid(void **state)
{
    (void)state;
    expect_one_error(HEAD MEM "<cpu mode='bogus'/>\n" TAIL,
                     "cpu@mode: unsupported value 'bogus' (line 5)");
    expect_one_error(HEAD MEM "<cpu match='loose'/>\n" TAIL,
                     "cpu@match: unsupported value 'loose' (qlaunch supports: minimum, exact, "
                     "strict) (line 5)");
    expect_one_error(HEAD MEM "<cpu>\n<model fallback='maybe'>qemu64</model>\n</cpu>\n" TAIL,
                     "cpu/model@fallback: unsupported value 'maybe' (qlaunch supports: allow, "
                     "forbid) (line 6)");
    expect_one_error(HEAD MEM "<cpu>\n<feature policy='bogus' name='vmx'/>\n</cpu>\n" TAIL,
                     "cpu/feature@policy: unsupported value 'bogus' (line 6)");
    expect_one_error(HEAD MEM "<cpu>\n<feature policy='require'/>\n</cpu>\n" TAIL,
                     "cpu/feature: missing feature name (line 6)");
    expect_one_error(HEAD MEM "<cpu>\n<topology sockets='1' cores='2'/>\n</cpu>\n" TAIL,
                     "cpu/topology: topology needs sockets, cores and threads (line 6)");
    expect_one_error(HEAD MEM "<cpu>\n<topology sockets='1' cores='1' threads='1' foo='2'/>\n"
                     "</cpu>\n" TAIL, "cpu/topology@foo: unsupported attribute (line 6)");
    expect_one_error(HEAD MEM "<cpu>\n<cache mode='passthrough'/>\n</cpu>\n" TAIL,
                     "cpu/cache@mode: CPU cache mode 'passthrough' can only be used with "
                     "'host-passthrough' / 'maximum' CPUs (line 6)");
    expect_one_error(HEAD MEM "<cpu>\n<cache level='2' mode='emulate'/>\n</cpu>\n" TAIL,
                     "cpu/cache: CPU cache mode 'emulate' can only be used with level='3' "
                     "(line 6)");
    expect_one_error(HEAD MEM "<cpu>\n<cache level='3' mode='disable'/>\n</cpu>\n" TAIL,
                     "cpu/cache@level: unsupported CPU cache level for mode 'disable' (line 6)");
    expect_one_error(HEAD MEM "<cpu>\n<cache level='3'/>\n</cpu>\n" TAIL,
                     "cpu/cache: <cache> needs a mode attribute (emulate, passthrough or "
                     "disable) (line 6)");

    struct res R;
    run(&R, HEAD MEM "<cpu>\n<topology sockets='1' cores='0' threads='1'/>\n</cpu>\n" TAIL);
    assert_error(&R, "cpu/topology@cores: must be at least 1 (line 6)");
    assert_error(&R, "cpu/topology: topology needs sockets, cores and threads (line 6)");
    done(&R);

    expect_one_error(HEAD MEM "<cpu>\n<numa>\n<cell id='0' memory='1048576'/>\n</numa>\n</cpu>\n"
                     TAIL, "cpu/numa/cell: missing cpus attribute (line 7)");
    expect_one_error(HEAD MEM "<cpu>\n<numa>\n<cell id='0' cpus='0' memory='lots'/>\n</numa>\n"
                     "</cpu>\n" TAIL,
                     "cpu/numa/cell@memory: missing or invalid NUMA cell memory (line 7)");
    expect_one_error(HEAD MEM "<cpu>\n<numa>\n<cell id='0' cpus='0,' memory='1048576'/>\n"
                     "</numa>\n</cpu>\n" TAIL,
                     "cpu/numa/cell@cpus: invalid cpuset '0,': trailing ',' (line 7)");
}

/* "the CPU topology gives A×B×...×Z = N vCPUs": the factors shown must multiply to N. */
static void check_topology_arithmetic(const char *msg, unsigned long long want)
{
    const char *p = strstr(msg, "gives ");
    assert_non_null(p);
    p += strlen("gives ");
    unsigned long long prod = 1;
    for (;;) {
        char *end;
        unsigned long long f = strtoull(p, &end, 10);
        if (end == p)
            fail_msg("cannot read the factors in: %s", msg);
        prod *= f;
        p = end;
        if (strncmp(p, "\xc3\x97", 2) == 0)   /* U+00D7 MULTIPLICATION SIGN */
            p += 2;
        else
            break;
    }
    if (strncmp(p, " = ", 3) != 0)
        fail_msg("no ' = ' after the factors in: %s", msg);
    unsigned long long total = strtoull(p + 3, NULL, 10);
    if (total != want || prod != total)
        fail_msg("factors multiply to %llu, total says %llu, want %llu: %s", prod, total, want,
                 msg);
}

static void test_topology_vs_vcpu(void **state)
{
    (void)state;
    struct res R;
    run(&R, HEAD MEM "<vcpu>2</vcpu>\n"
            "<cpu>\n"
            "<topology sockets='2' cores='8' threads='2'/>\n"
            "</cpu>\n" TAIL);
    assert_error(&R, "cpu/topology: the CPU topology gives 2\xc3\x97" "8\xc3\x97" "2 = 32 vCPUs "
                 "but <vcpu> is 2; libvirt and QEMU both reject this: set <vcpu> to 32 (add "
                 "current='2' to start with 2 online) or change the topology to sockets='1' "
                 "cores='2' threads='1' (line 7)");
    assert_int_equal(R.g.n_errors, 1);
    done(&R);

    /* A product over 4096 vCPUs only gets the topology suggestion. */
    run(&R, HEAD MEM "<vcpu>4</vcpu>\n"
            "<cpu>\n"
            "<topology sockets='64' cores='64' threads='2'/>\n"
            "</cpu>\n" TAIL);
    const struct dom_diag *g = find_like(&R, DOM_DIAG_ERROR, "cpu/topology", "8192 vCPUs");
    assert_non_null(g);
    assert_null(strstr(g->msg, "set <vcpu>"));
    assert_non_null(strstr(g->msg, "change the topology to sockets='1' cores='4' threads='1'"));
    done(&R);
}

/* dies and clusters count too: the message's arithmetic and the suggested fix must hold. */
static void test_topology_with_dies(void **state)
{
    (void)state;
    struct res R;
    run(&R, HEAD MEM "<vcpu>2</vcpu>\n"
            "<cpu>\n"
            "<topology sockets='1' dies='2' cores='2' threads='1'/>\n"
            "</cpu>\n" TAIL);
    assert_int_equal(R.r, -EINVAL);
    const struct dom_diag *g = find_like(&R, DOM_DIAG_ERROR, "cpu/topology",
                                         "vCPUs but <vcpu> is 2");
    if (!g) {
        dump(&R);
        fail_msg("missing the topology error");
    }
    check_topology_arithmetic(g->msg, 4);
    /* The suggested topology, applied as written, must give 2 vCPUs: it has to reset dies. */
    assert_non_null(strstr(g->msg, "dies='1'"));
    done(&R);
}

static void test_numa_vs_memory(void **state)
{
    (void)state;
    expect_one_error(HEAD MEM "<vcpu>2</vcpu>\n"
                     "<cpu>\n"
                     "<numa>\n"
                     "<cell id='0' cpus='0' memory='512' unit='MiB'/>\n"
                     "<cell id='1' cpus='1' memory='256' unit='MiB'/>\n"
                     "</numa>\n"
                     "</cpu>\n" TAIL,
                     "cpu/numa: NUMA cells add up to 786432 KiB but <memory> is 1048576 KiB "
                     "(line 7)");
}

/* ---- os ---- */

static void test_os(void **state)
{
    (void)state;
    struct res R;
    expect_ok(&R, "<domain type='kvm'>\n<name>t</name>\n" MEM
                  "<os firmware='efi'>\n"
                  "<type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n"
                  "<loader readonly='yes' secure='no' type='pflash'>"
                  "/usr/share/OVMF/OVMF_CODE.fd</loader>\n"
                  "<nvram template='/usr/share/OVMF/OVMF_VARS.fd'>/var/lib/t_VARS.fd</nvram>\n"
                  "<kernel>/boot/vmlinuz</kernel>\n"
                  "<initrd>/boot/initrd.img</initrd>\n"
                  "<cmdline>console=ttyS0 root=/dev/vda1</cmdline>\n"
                  "<boot dev='network'/>\n"
                  "<boot dev='cdrom'/>\n"
                  "<boot dev='hd'/>\n"
                  "<boot dev='fd'/>\n"
                  "<bootmenu enable='yes' timeout='3000'/>\n"
                  "<bios rebootTimeout='5000'/>\n"
                  "<smbios mode='emulate'/>\n"
                  "</os>\n" TAIL);
    struct dom_os *o = &R.d->os;
    assert_string_equal(dom_firmware_to_string(o->firmware), "efi");
    assert_string_equal(dom_os_type_to_string(o->type), "hvm");
    assert_string_equal(dom_arch_to_string(o->arch), "x86_64");
    assert_string_equal(o->machine, "pc-q35-7.2");
    assert_string_equal(o->loader, "/usr/share/OVMF/OVMF_CODE.fd");
    assert_int_equal(o->loader_readonly, DOM_TRI_ON);
    assert_int_equal(o->loader_secure, DOM_TRI_OFF);
    assert_string_equal(dom_loader_type_to_string(o->loader_type), "pflash");
    assert_string_equal(o->nvram, "/var/lib/t_VARS.fd");
    assert_string_equal(o->nvram_template, "/usr/share/OVMF/OVMF_VARS.fd");
    assert_string_equal(o->kernel, "/boot/vmlinuz");
    assert_string_equal(o->initrd, "/boot/initrd.img");
    assert_string_equal(o->cmdline, "console=ttyS0 root=/dev/vda1");
    assert_null(o->dtb);
    assert_int_equal(o->n_boot, 4);
    assert_int_equal(o->boot[0], DOM_BOOT_NETWORK);
    assert_int_equal(o->boot[1], DOM_BOOT_CDROM);
    assert_int_equal(o->boot[2], DOM_BOOT_HD);
    assert_int_equal(o->boot[3], DOM_BOOT_FD);
    assert_int_equal(o->bootmenu, DOM_TRI_ON);
    assert_int_equal(o->bootmenu_timeout, 3000);
    assert_int_equal(o->bios_reboot_timeout, 5000);
    assert_string_equal(dom_smbios_mode_to_string(o->smbios_mode), "emulate");
    assert_int_equal(R.g.n, 0);
    done(&R);

    expect_ok(&R, HEAD MEM TAIL);
    assert_int_equal(R.d->os.n_boot, 0);
    assert_int_equal(R.d->os.bootmenu, DOM_TRI_DEFAULT);
    assert_int_equal(R.d->os.bootmenu_timeout, -1);
    assert_int_equal(R.d->os.bios_reboot_timeout, -1);
    assert_int_equal(R.d->os.arch, 0);
    done(&R);

    expect_ok(&R, "<domain type='kvm'>\n<name>t</name>\n" MEM
                  "<os><type>hvm</type><bootmenu enable='no'/><loader/></os>\n" TAIL);
    assert_int_equal(R.d->os.bootmenu, DOM_TRI_OFF);
    assert_int_equal(R.d->os.bootmenu_timeout, -1);
    assert_null(R.d->os.loader);
    done(&R);
}

/* machine='' (as in the seed) is a note, not an error, and leaves machine NULL. */
static void test_os_empty_machine(void **state)
{
    (void)state;
    struct res R;
    expect_ok(&R, "<domain type='kvm'>\n<name>t</name>\n" MEM
                  "<os>\n<type arch='x86_64' machine=''>hvm</type>\n</os>\n" TAIL);
    assert_null(R.d->os.machine);
    assert_string_equal(dom_arch_to_string(R.d->os.arch), "x86_64");
    assert_diag(&R, DOM_DIAG_NOTE, "os/type@machine: empty machine type: using the default "
                "'pc' as libvirt does (line 5)");
    assert_int_equal(count_level(&R, DOM_DIAG_NOTE), 1);
    assert_int_equal(count_level(&R, DOM_DIAG_WARNING), 0);
    assert_int_equal(R.g.n, 1);
    done(&R);
}

static void test_os_invalid(void **state)
{
    (void)state;
#define OSDOC(body) "<domain type='kvm'>\n<name>t</name>\n" MEM "<os>\n" body "</os>\n" TAIL
    expect_one_error(OSDOC("<type>xen</type>\n"),
                     "os/type: unsupported OS type 'xen' (qlaunch runs 'hvm' guests) (line 5)");
    expect_one_error(OSDOC("<type arch='aarch64'>hvm</type>\n"),
                     "os/type@arch: unsupported architecture 'aarch64' (qlaunch runs "
                     "qemu-system-x86_64 only) (line 5)");
    expect_one_error(OSDOC("<type machine='pc;reboot'>hvm</type>\n"),
                     "os/type@machine: invalid machine type 'pc;reboot' (line 5)");
    expect_one_error(OSDOC("<type machine='pc,accel=tcg'>hvm</type>\n"),
                     "os/type@machine: invalid machine type 'pc,accel=tcg' (line 5)");
    expect_one_error(OSDOC(""), "os: missing <type> (line 4)");
    expect_one_error("<domain type='kvm'>\n<name>t</name>\n" MEM TAIL,
                     "domain: missing <os> (line 1)");
    expect_one_error(OSDOC("<type>hvm</type>\n<boot dev='usb'/>\n"),
                     "os/boot@dev: unsupported value 'usb' (line 6)");
    expect_one_error(OSDOC("<type>hvm</type>\n<boot/>\n"), "os/boot: missing dev attribute "
                     "(line 6)");
    expect_one_error(OSDOC("<type>hvm</type>\n<boot dev='hd'/>\n<boot dev='hd'/>\n"),
                     "os/boot[2]@dev: boot device 'hd' is listed twice (line 7)");
    expect_one_error(OSDOC("<type>hvm</type>\n<bootmenu enable='yes' timeout='70000'/>\n"),
                     "os/bootmenu@timeout: must be 0 to 65535 ms (line 6)");
    expect_one_error(OSDOC("<type>hvm</type>\n<bootmenu enable='sure'/>\n"),
                     "os/bootmenu@enable: 'sure' is not one of on, off, yes, no (line 6)");
    expect_one_error(OSDOC("<type>hvm</type>\n<loader type='flash'>/x.fd</loader>\n"),
                     "os/loader@type: unsupported value 'flash' (qlaunch supports: rom, pflash) "
                     "(line 6)");
    expect_one_error(OSDOC("<type>hvm</type>\n<init>/sbin/init</init>\n"),
                     "os/init: unsupported element <init> (line 6)");
    /* virsh dumpxml of a BIOS domain lists the UEFI features as disabled: accepted */
    struct res R;
    expect_ok(&R, "<domain type='kvm'>\n<name>t</name>\n" MEM
                  "<os firmware='bios'>\n<type>hvm</type>\n<firmware>\n"
                  "<feature enabled='no' name='enrolled-keys'/>\n"
                  "<feature enabled='no' name='secure-boot'/>\n</firmware>\n</os>\n" TAIL);
    assert_int_equal(R.d->os.fw_secure_boot, DOM_TRI_OFF);
    done(&R);
    expect_one_error("<domain type='kvm'>\n<name>t</name>\n" MEM
                     "<os firmware='bios'>\n<type>hvm</type>\n<firmware>\n"
                     "<feature enabled='yes' name='secure-boot'/>\n</firmware>\n</os>\n" TAIL,
                     "os/firmware: enabled <firmware> features need <os firmware='efi'> "
                     "(line 6)");
    expect_one_error("<domain type='kvm'>\n<name>t</name>\n" MEM
                     "<os firmware='uefi'>\n<type>hvm</type>\n</os>\n" TAIL,
                     "os@firmware: unsupported value 'uefi' (qlaunch supports: bios, efi) "
                     "(line 4)");
#undef OSDOC
}

/* ---- features ---- */

static const struct dom_hyperv_feature *hv(const struct domain *d, const char *name)
{
    for (size_t i = 0; i < d->features.n_hyperv; i++)
        if ((int)d->features.hyperv[i].name == dom_hyperv_feat_from_string(name))
            return &d->features.hyperv[i];
    return NULL;
}

static void test_features(void **state)
{
    (void)state;
    struct res R;
    expect_ok(&R, HEAD MEM
                  "<features>\n"
                  "<acpi/>\n"
                  "<apic eoi='on'/>\n"
                  "<pae/>\n"
                  "<hap state='off'/>\n"
                  "<pmu state='off'/>\n"
                  "<vmport state='off'/>\n"
                  "<smm state='on'/>\n"
                  "<pvspinlock state='on'/>\n"
                  "<vmcoreinfo state='on'/>\n"
                  "<kvm><hidden state='on'/></kvm>\n"
                  "<hyperv mode='custom'>\n"
                  "<relaxed state='on'/>\n"
                  "<vapic state='on'/>\n"
                  "<spinlocks state='on' retries='8191'/>\n"
                  "<vendor_id state='on' value='KVM Hv'/>\n"
                  "<synic state='off'/>\n"
                  "</hyperv>\n"
                  "</features>\n" TAIL);
    struct dom_features *f = &R.d->features;
    assert_int_equal(f->f[DOM_FEAT_ACPI], DOM_TRI_ON);
    assert_int_equal(f->f[DOM_FEAT_APIC], DOM_TRI_ON);
    assert_string_equal(dom_tristate_to_string(f->apic_eoi), "on");
    assert_int_equal(f->f[DOM_FEAT_PAE], DOM_TRI_ON);
    assert_int_equal(f->f[DOM_FEAT_HAP], DOM_TRI_OFF);
    assert_int_equal(f->f[DOM_FEAT_PMU], DOM_TRI_OFF);
    assert_int_equal(f->f[DOM_FEAT_VMPORT], DOM_TRI_OFF);
    assert_int_equal(f->f[DOM_FEAT_SMM], DOM_TRI_ON);
    assert_int_equal(f->f[DOM_FEAT_PVSPINLOCK], DOM_TRI_ON);
    assert_int_equal(f->f[DOM_FEAT_VMCOREINFO], DOM_TRI_ON);
    assert_int_equal(f->f[DOM_FEAT_KVM_HIDDEN], DOM_TRI_ON);
    assert_true(f->hyperv_present);
    assert_int_equal(f->n_hyperv, 5);
    assert_true(hv(R.d, "relaxed")->on);
    assert_true(hv(R.d, "vapic")->on);
    assert_true(hv(R.d, "spinlocks")->on);
    assert_string_equal(hv(R.d, "spinlocks")->value, "8191");
    assert_true(hv(R.d, "vendor_id")->on);
    assert_string_equal(hv(R.d, "vendor_id")->value, "KVM Hv");
    assert_false(hv(R.d, "synic")->on);
    assert_null(hv(R.d, "vpindex"));
    done(&R);

    /* Absent elements stay DEFAULT; <apic/> without eoi leaves it NULL; hidden off. */
    expect_ok(&R, HEAD MEM "<features><apic/><kvm><hidden state='off'/></kvm></features>\n"
                  TAIL);
    f = &R.d->features;
    assert_int_equal(f->f[DOM_FEAT_ACPI], DOM_TRI_DEFAULT);
    assert_int_equal(f->f[DOM_FEAT_APIC], DOM_TRI_ON);
    assert_int_equal(f->apic_eoi, 0);
    assert_int_equal(f->f[DOM_FEAT_KVM_HIDDEN], DOM_TRI_OFF);
    assert_false(f->hyperv_present);
    assert_int_equal(f->n_hyperv, 0);
    assert_int_equal(f->f[DOM_FEAT_PS2], DOM_TRI_DEFAULT);
    assert_int_equal(f->f[DOM_FEAT_KVM_DIRTY_RING], DOM_TRI_DEFAULT);
    done(&R);

    /* <ps2>, and the <kvm> hints with the host-passthrough CPU libvirt requires for
     * hint-dedicated. */
    expect_ok(&R, HEAD MEM "<features><ps2 state='off'/><kvm>\n"
                  "<hint-dedicated state='on'/><poll-control state='on'/>\n"
                  "<pv-ipi state='off'/><dirty-ring state='on' size='4096'/>\n"
                  "</kvm></features>\n<cpu mode='host-passthrough'/>\n" TAIL);
    f = &R.d->features;
    assert_int_equal(f->f[DOM_FEAT_PS2], DOM_TRI_OFF);
    assert_int_equal(f->f[DOM_FEAT_KVM_HIDDEN], DOM_TRI_DEFAULT);
    assert_int_equal(f->f[DOM_FEAT_KVM_DEDICATED], DOM_TRI_ON);
    assert_int_equal(f->f[DOM_FEAT_KVM_POLL_CONTROL], DOM_TRI_ON);
    assert_int_equal(f->f[DOM_FEAT_KVM_PV_IPI], DOM_TRI_OFF);
    assert_int_equal(f->f[DOM_FEAT_KVM_DIRTY_RING], DOM_TRI_ON);
    assert_int_equal(f->kvm_dirty_ring_size, 4096);
    done(&R);
    /* Off states need no size and no particular CPU. */
    expect_ok(&R, HEAD MEM "<features><ps2/><kvm><hint-dedicated state='off'/>"
                  "<dirty-ring state='off'/></kvm></features>\n" TAIL);
    assert_int_equal(R.d->features.f[DOM_FEAT_PS2], DOM_TRI_ON);
    assert_int_equal(R.d->features.f[DOM_FEAT_KVM_DEDICATED], DOM_TRI_OFF);
    assert_int_equal(R.d->features.f[DOM_FEAT_KVM_DIRTY_RING], DOM_TRI_OFF);
    assert_int_equal(R.d->features.kvm_dirty_ring_size, 0);
    done(&R);
}

/* <genid>: a given GUID is kept; an empty one is derived from the UUID (RFC 4122 v5 with
 * the domain UUID as namespace and "vmgenid" as name), with a note. */
static void test_genid(void **state)
{
    (void)state;
    struct res R;
    static const unsigned char given[16] = {0xe9, 0x39, 0x23, 0x70, 0x29, 0x17, 0x56, 0x5e,
                                            0x69, 0x2b, 0xd0, 0x57, 0xf4, 0x65, 0x12, 0xd6};
    expect_ok(&R, HEAD MEM "<genid>e9392370-2917-565e-692b-d057f46512d6</genid>\n" TAIL);
    assert_true(R.d->has_genid);
    assert_false(R.d->genid_auto);
    assert_memory_equal(R.d->genid, given, 16);
    assert_int_equal(count_level(&R, DOM_DIAG_NOTE), 0);
    done(&R);

    static const unsigned char derived[16] = {0x89, 0x1e, 0xc2, 0x92, 0x87, 0xb7, 0x53, 0x65,
                                              0xa1, 0x4b, 0xdd, 0xd4, 0x16, 0xa2, 0x46, 0xd1};
    expect_ok(&R, HEAD MEM "<uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>\n<genid/>\n"
                  TAIL);
    assert_true(R.d->has_genid);
    assert_true(R.d->genid_auto);
    assert_memory_equal(R.d->genid, derived, 16);
    assert_diag(&R, DOM_DIAG_NOTE, "genid: empty <genid/>: using "
                "891ec292-87b7-5365-a14b-ddd416a246d1 (derived from the domain UUID)");
    done(&R);

    expect_ok(&R, HEAD MEM TAIL);
    assert_false(R.d->has_genid);
    done(&R);

    expect_one_error(HEAD MEM "<genid>not-a-guid</genid>\n" TAIL,
                     "genid: invalid genid 'not-a-guid' (expected a UUID) (line 5)");
    expect_one_error(HEAD MEM "<genid/>\n<genid/>\n" TAIL,
                     "genid[2]: element <genid> may appear only once here (line 6)");
}

static void test_features_invalid(void **state)
{
    (void)state;
    expect_one_error(HEAD MEM "<features>\n<acpi state='maybe'/>\n</features>\n" TAIL,
                     "features/acpi@state: 'maybe' is not one of on, off, yes, no (line 6)");
    expect_one_error(HEAD MEM "<features>\n<apic eoi='auto'/>\n</features>\n" TAIL,
                     "features/apic@eoi: unsupported value 'auto' (qlaunch supports: on, off) "
                     "(line 6)");
    expect_one_error(HEAD MEM "<features>\n<gic version='3'/>\n</features>\n" TAIL,
                     "features/gic: unsupported element <gic> (line 6)");
    expect_one_error(HEAD MEM "<features>\n<smm state='on'>\n<tseg unit='MiB'>48</tseg>\n"
                     "</smm>\n</features>\n" TAIL,
                     "features/smm/tseg: unsupported element <tseg> (line 7)");
    expect_one_error(HEAD MEM "<features>\n<kvm>\n<hint-dedicated state='on'/>\n</kvm>\n"
                     "</features>\n" TAIL,
                     "features/kvm/hint-dedicated: kvm-hint-dedicated=on is only applicable "
                     "for cpu host-passthrough (line 7)");
    expect_one_error(HEAD MEM "<features>\n<kvm>\n<poll-control/>\n</kvm>\n"
                     "</features>\n" TAIL,
                     "features/kvm/poll-control: <poll-control> needs a state attribute ('on' "
                     "or 'off') (line 7)");
    expect_one_error(HEAD MEM "<features>\n<kvm>\n<dirty-ring state='on'/>\n</kvm>\n"
                     "</features>\n" TAIL,
                     "features/kvm/dirty-ring: <dirty-ring state='on'> needs a size attribute "
                     "(line 7)");
    expect_one_error(HEAD MEM "<features>\n<kvm>\n<dirty-ring state='on' size='1000'/>\n"
                     "</kvm>\n</features>\n" TAIL,
                     "features/kvm/dirty-ring@size: dirty ring must be power of 2 and ranges "
                     "[1024, 65536] (line 7)");
    expect_one_error(HEAD MEM "<features>\n<kvm>\n<dirty-ring state='on' size='131072'/>\n"
                     "</kvm>\n</features>\n" TAIL,
                     "features/kvm/dirty-ring@size: dirty ring must be power of 2 and ranges "
                     "[1024, 65536] (line 7)");
    expect_one_error(HEAD MEM "<features>\n<kvm>\n<pv-ipi state='off'/>\n<mystery/>\n"
                     "</kvm>\n</features>\n" TAIL,
                     "features/kvm/mystery: unsupported element <mystery> (line 8)");
    expect_one_error(HEAD MEM "<features>\n<ps2 state='maybe'/>\n</features>\n" TAIL,
                     "features/ps2@state: 'maybe' is not one of on, off, yes, no (line 6)");
    expect_one_error(HEAD MEM "<features>\n<hyperv>\n<bogus state='on'/>\n</hyperv>\n"
                     "</features>\n" TAIL,
                     "features/hyperv/bogus: unsupported element <bogus> (line 7)");
    expect_one_error(HEAD MEM "<features>\n<hyperv mode='all'/>\n</features>\n" TAIL,
                     "features/hyperv@mode: unsupported value 'all' (qlaunch supports: "
                     "custom, passthrough) (line 6)");
    expect_one_error(HEAD MEM "<features>\n<hyperv>\n<stimer state='off'>\n"
                     "<direct state='on'/>\n</stimer>\n</hyperv>\n</features>\n" TAIL,
                     "features/hyperv/stimer/direct: <direct state='on'> needs <stimer "
                     "state='on'> (line 8)");
    expect_one_error(HEAD MEM "<features>\n<hyperv>\n<vendor_id state='on' value='a,b'/>\n"
                     "</hyperv>\n</features>\n" TAIL,
                     "features/hyperv/vendor_id@value: HyperV vendor_id 'a,b' must be at most "
                     "12 characters without a comma (line 7)");
    expect_one_error(HEAD MEM "<features>\n<acpi/>\n<acpi/>\n</features>\n" TAIL,
                     "features/acpi[2]: element <acpi> may appear only once here (line 7)");
}

/* ---- clock ---- */

static const struct dom_timer *timer(const struct domain *d, const char *name)
{
    for (size_t i = 0; i < d->clock.n_timers; i++)
        if ((int)d->clock.timers[i].name == dom_timer_name_from_string(name))
            return &d->clock.timers[i];
    return NULL;
}

static void test_clock(void **state)
{
    (void)state;
    struct res R;
    expect_ok(&R, HEAD MEM "<clock offset='utc'/>\n" TAIL);
    assert_int_equal(R.d->clock.offset, DOM_CLOCK_UTC);
    done(&R);

    expect_ok(&R, HEAD MEM "<clock offset='localtime'/>\n" TAIL);
    assert_int_equal(R.d->clock.offset, DOM_CLOCK_LOCALTIME);
    assert_null(R.d->clock.timezone);
    done(&R);

    expect_ok(&R, HEAD MEM "<clock offset='timezone' timezone='Europe/Paris'/>\n" TAIL);
    assert_int_equal(R.d->clock.offset, DOM_CLOCK_TIMEZONE);
    assert_string_equal(R.d->clock.timezone, "Europe/Paris");
    done(&R);

    expect_ok(&R, HEAD MEM "<clock offset='variable' adjustment='3600' basis='localtime'/>\n"
                  TAIL);
    assert_int_equal(R.d->clock.offset, DOM_CLOCK_VARIABLE);
    assert_int_equal(R.d->clock.adjustment, 3600);
    assert_string_equal(dom_clock_basis_to_string(R.d->clock.basis), "localtime");
    done(&R);

    expect_ok(&R, HEAD MEM "<clock offset='variable' adjustment='-120' basis='utc'/>\n" TAIL);
    assert_int_equal(R.d->clock.adjustment, -120);
    assert_string_equal(dom_clock_basis_to_string(R.d->clock.basis), "utc");
    done(&R);

    expect_ok(&R, HEAD MEM "<clock offset='utc' adjustment='reset'/>\n" TAIL);
    assert_int_equal(R.d->clock.adjustment, 0);
    done(&R);

    expect_ok(&R, HEAD MEM "<clock offset='absolute' start='1700000000'/>\n" TAIL);
    assert_int_equal(R.d->clock.offset, DOM_CLOCK_ABSOLUTE);
    assert_int_equal(R.d->clock.start, 1700000000);
    done(&R);

    expect_ok(&R, HEAD MEM
                  "<clock offset='localtime'>\n"
                  "<timer name='rtc' tickpolicy='catchup' track='guest'/>\n"
                  "<timer name='pit' tickpolicy='delay'/>\n"
                  "<timer name='hpet' present='no'/>\n"
                  "<timer name='kvmclock' present='yes'/>\n"
                  "<timer name='tsc' frequency='1000000000'/>\n"
                  "<timer name='hypervclock' present='yes'/>\n"
                  "</clock>\n" TAIL);
    struct domain *d = R.d;
    assert_int_equal(d->clock.n_timers, 6);
    assert_string_equal(dom_timer_name_to_string(d->clock.timers[0].name), "rtc");   /* XML order */
    assert_string_equal(dom_tickpolicy_to_string(timer(d, "rtc")->tickpolicy), "catchup");
    assert_string_equal(dom_timer_track_to_string(timer(d, "rtc")->track), "guest");
    assert_int_equal(timer(d, "rtc")->present, DOM_TRI_DEFAULT);
    assert_string_equal(dom_tickpolicy_to_string(timer(d, "pit")->tickpolicy), "delay");
    assert_int_equal(timer(d, "pit")->track, 0);
    assert_int_equal(timer(d, "hpet")->present, DOM_TRI_OFF);
    assert_int_equal(timer(d, "kvmclock")->present, DOM_TRI_ON);
    assert_int_equal(timer(d, "tsc")->frequency, 1000000000ULL);
    assert_int_equal(timer(d, "hypervclock")->present, DOM_TRI_ON);
    done(&R);
}

static void test_clock_invalid(void **state)
{
    (void)state;
    expect_one_error(HEAD MEM "<clock offset='bogus'/>\n" TAIL,
                     "clock@offset: unsupported value 'bogus' (line 5)");
    expect_one_error(HEAD MEM "<clock offset='timezone'/>\n" TAIL,
                     "clock: offset 'timezone' needs a timezone attribute (line 5)");
    expect_one_error(HEAD MEM "<clock offset='utc' timezone='Europe/Paris'/>\n" TAIL,
                     "clock@timezone: only valid with offset='timezone' (line 5)");
    expect_one_error(HEAD MEM "<clock offset='variable' adjustment='1h'/>\n" TAIL,
                     "clock@adjustment: invalid adjustment '1h' (line 5)");
    expect_one_error(HEAD MEM "<clock offset='variable' basis='gmt'/>\n" TAIL,
                     "clock@basis: unsupported value 'gmt' (qlaunch supports: utc, localtime) "
                     "(line 5)");
    expect_one_error(HEAD MEM "<clock offset='absolute' start='soon'/>\n" TAIL,
                     "clock@start: invalid start 'soon' (line 5)");
    expect_one_error(HEAD MEM "<clock>\n<timer name='bogus'/>\n</clock>\n" TAIL,
                     "clock/timer@name: unsupported value 'bogus' (qlaunch supports: platform, "
                     "pit, rtc, hpet, kvmclock, tsc, hypervclock) (line 6)");
    expect_one_error(HEAD MEM "<clock>\n<timer tickpolicy='delay'/>\n</clock>\n" TAIL,
                     "clock/timer: missing timer name (line 6)");
    expect_one_error(HEAD MEM "<clock>\n<timer name='rtc' tickpolicy='slew'/>\n</clock>\n" TAIL,
                     "clock/timer@tickpolicy: unsupported value 'slew' (qlaunch supports: "
                     "delay, catchup, merge, discard) (line 6)");
    expect_one_error(HEAD MEM "<clock>\n<timer name='hpet' present='maybe'/>\n</clock>\n" TAIL,
                     "clock/timer@present: 'maybe' is not one of on, off, yes, no (line 6)");
    expect_one_error(HEAD MEM "<clock>\n<timer name='tsc' frequency='fast'/>\n</clock>\n" TAIL,
                     "clock/timer@frequency: 'fast' is not a valid non-negative integer "
                     "(line 6)");
    expect_one_error(HEAD MEM "<clock>\n<timer name='rtc' tickpolicy='catchup'>\n"
                     "<catchup threshold='123'/>\n</timer>\n</clock>\n" TAIL,
                     "clock/timer/catchup: unsupported element <catchup> (line 7)");
}

/* ---- lifecycle ---- */

static void test_lifecycle(void **state)
{
    (void)state;
    struct res R;
    expect_ok(&R, HEAD MEM
                  "<on_poweroff>destroy</on_poweroff>\n"
                  "<on_reboot>restart</on_reboot>\n"
                  "<on_crash>coredump-restart</on_crash>\n" TAIL);
    struct domain *d = R.d;
    assert_int_equal(d->on_poweroff, DOM_LC_DESTROY);
    assert_int_equal(d->on_reboot, DOM_LC_RESTART);
    assert_int_equal(d->on_crash, DOM_LC_COREDUMP_RESTART);
    assert_int_equal(d->lc_line[0], 5);
    assert_int_equal(d->lc_line[1], 6);
    assert_int_equal(d->lc_line[2], 7);
    /* on_crash needs a panic device to ever trigger: one is added, with a note. */
    assert_int_equal(d->dev.n_panics, 1);
    assert_true(d->dev.panics[0].implicit);
    assert_string_equal(dom_panic_model_to_string(d->dev.panics[0].model), "isa");
    assert_diag(&R, DOM_DIAG_NOTE, "on_crash: added <panic model='isa'/> so that QEMU reports "
                "guest crashes; without a panic device on_crash='coredump-restart' could never "
                "trigger");
    done(&R);

    static const struct {
        const char *poweroff, *reboot, *crash;
        enum dom_lifecycle p, r, c;
    } ok[] = {
        {"restart", "restart", "destroy", DOM_LC_RESTART, DOM_LC_RESTART, DOM_LC_DESTROY},
        {"destroy", "destroy", "preserve", DOM_LC_DESTROY, DOM_LC_DESTROY, DOM_LC_PRESERVE},
        {"destroy", "restart", "coredump-destroy", DOM_LC_DESTROY, DOM_LC_RESTART,
         DOM_LC_COREDUMP_DESTROY},
        {"restart", "restart", "restart", DOM_LC_RESTART, DOM_LC_RESTART, DOM_LC_RESTART},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        char *xml = NULL;
        assert_true(asprintf(&xml, HEAD MEM "<on_poweroff>%s</on_poweroff>\n"
                             "<on_reboot>%s</on_reboot>\n<on_crash>%s</on_crash>\n" TAIL,
                             ok[i].poweroff, ok[i].reboot, ok[i].crash) > 0);
        expect_ok(&R, xml);
        assert_int_equal(dom_on_poweroff(R.d), ok[i].p);
        assert_int_equal(dom_on_reboot(R.d), ok[i].r);
        assert_int_equal(dom_on_crash(R.d), ok[i].c);
        assert_int_equal(R.d->dev.n_panics, ok[i].c == DOM_LC_DESTROY ? 0 : 1);
        done(&R);
        free(xml);
    }

    /* on_poweroff=restart with the default on_reboot (restart) is fine. */
    expect_ok(&R, HEAD MEM "<on_poweroff>restart</on_poweroff>\n" TAIL);
    assert_int_equal(R.d->on_reboot, DOM_LC_DEFAULT);
    assert_int_equal(dom_on_reboot(R.d), DOM_LC_RESTART);
    assert_int_equal(R.g.n, 0);
    done(&R);
}

static void test_lifecycle_rejected(void **state)
{
    (void)state;
    /* libvirt rejects rename-restart for QEMU everywhere. */
    expect_one_error(HEAD MEM "<on_poweroff>rename-restart</on_poweroff>\n" TAIL,
                     "on_poweroff: action 'rename-restart' is not supported for QEMU domains "
                     "(libvirt rejects it too); use 'restart' (line 5)");
    expect_one_error(HEAD MEM "<on_reboot>rename-restart</on_reboot>\n" TAIL,
                     "on_reboot: action 'rename-restart' is not supported for QEMU domains "
                     "(libvirt rejects it too); use 'restart' (line 5)");
    expect_one_error(HEAD MEM "<on_crash>rename-restart</on_crash>\n" TAIL,
                     "on_crash: action 'rename-restart' is not supported for QEMU domains "
                     "(libvirt rejects it too); use 'restart' (line 5)");
    /* preserve only for on_crash. */
    expect_one_error(HEAD MEM "<on_poweroff>preserve</on_poweroff>\n" TAIL,
                     "on_poweroff: action 'preserve' is only supported for on_crash (libvirt "
                     "rejects it too); use 'destroy' or 'restart' (line 5)");
    expect_one_error(HEAD MEM "<on_reboot>preserve</on_reboot>\n" TAIL,
                     "on_reboot: action 'preserve' is only supported for on_crash (libvirt "
                     "rejects it too); use 'destroy' or 'restart' (line 5)");
    /* coredump-* only for on_crash. */
    expect_one_error(HEAD MEM "<on_poweroff>coredump-destroy</on_poweroff>\n" TAIL,
                     "on_poweroff: action 'coredump-destroy' is only allowed for on_crash "
                     "(line 5)");
    expect_one_error(HEAD MEM "<on_reboot>coredump-restart</on_reboot>\n" TAIL,
                     "on_reboot: action 'coredump-restart' is only allowed for on_crash "
                     "(line 5)");
    /* on_poweroff=restart with on_reboot=destroy. */
    expect_one_error(HEAD MEM "<on_poweroff>restart</on_poweroff>\n"
                     "<on_reboot>destroy</on_reboot>\n" TAIL,
                     "on_reboot: on_reboot 'destroy' together with on_poweroff 'restart' is not "
                     "supported for QEMU domains (libvirt rejects it too) (line 6)");
    expect_one_error(HEAD MEM "<on_crash>explode</on_crash>\n" TAIL,
                     "on_crash: unknown action 'explode' (expected destroy, restart, preserve, "
                     "rename-restart, coredump-destroy or coredump-restart) (line 5)");
    expect_one_error(HEAD MEM "<on_crash></on_crash>\n" TAIL,
                     "on_crash: unknown action '' (expected destroy, restart, preserve, "
                     "rename-restart, coredump-destroy or coredump-restart) (line 5)");

    /* Every problem is reported, not only the first. */
    struct res R;
    run(&R, HEAD MEM "<on_poweroff>preserve</on_poweroff>\n"
            "<on_reboot>coredump-destroy</on_reboot>\n"
            "<on_crash>rename-restart</on_crash>\n" TAIL);
    assert_int_equal(R.r, -EINVAL);
    assert_int_equal(R.g.n_errors, 3);
    assert_error(&R, "on_poweroff: action 'preserve' is only supported for on_crash (libvirt "
                 "rejects it too); use 'destroy' or 'restart' (line 5)");
    assert_error(&R, "on_reboot: action 'coredump-destroy' is only allowed for on_crash "
                 "(line 6)");
    assert_error(&R, "on_crash: action 'rename-restart' is not supported for QEMU domains "
                 "(libvirt rejects it too); use 'restart' (line 7)");
    done(&R);
}

/* ---- pm ---- */

static void test_pm(void **state)
{
    (void)state;
    struct res R;
    expect_ok(&R, HEAD MEM "<pm>\n<suspend-to-mem enabled='no'/>\n"
                  "<suspend-to-disk enabled='yes'/>\n</pm>\n" TAIL);
    assert_int_equal(R.d->pm_suspend_to_mem, DOM_TRI_OFF);
    assert_int_equal(R.d->pm_suspend_to_disk, DOM_TRI_ON);
    done(&R);

    expect_ok(&R, HEAD MEM "<pm/>\n" TAIL);
    assert_int_equal(R.d->pm_suspend_to_mem, DOM_TRI_DEFAULT);
    assert_int_equal(R.d->pm_suspend_to_disk, DOM_TRI_DEFAULT);
    done(&R);

    expect_one_error(HEAD MEM "<pm>\n<suspend-to-mem enabled='maybe'/>\n</pm>\n" TAIL,
                     "pm/suspend-to-mem@enabled: 'maybe' is not one of on, off, yes, no "
                     "(line 6)");
    expect_one_error(HEAD MEM "<pm>\n<suspend-to-ram enabled='no'/>\n</pm>\n" TAIL,
                     "pm/suspend-to-ram: unsupported element <suspend-to-ram> (line 6)");
}

/* ---- no silent drops; ignored by design ---- */

static void test_no_silent_drops(void **state)
{
    (void)state;
    expect_one_error(HEAD MEM "<foo/>\n" TAIL, "foo: unsupported element <foo> (line 5)");
    expect_one_error(HEAD "<memory unit='MiB' foo='bar'>1024</memory>\n" TAIL,
                     "memory@foo: unsupported attribute (line 4)");
    expect_one_error("<domain type='kvm' "
                     "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
                     "<name>t</name>\n<os><type>hvm</type></os>\n" MEM
                     "<qemu:deprecation behavior='omit'/>\n" TAIL,
                     "qemu:deprecation: unsupported element <qemu:deprecation> (line 5)");
    /* libvirt's element names in another namespace are not libvirt's. */
    expect_one_error(HEAD MEM "<qemu:commandline xmlns:qemu='urn:not-libvirt'>"
                     "<qemu:arg value='-S'/></qemu:commandline>\n" TAIL,
                     "qemu:commandline: unsupported element <qemu:commandline> (line 5)");
    /* An unknown child of a known QEMU namespace element. */
    expect_one_error(HEAD MEM "<qemu:commandline "
                     "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"
                     "<qemu:arg value='-S'/><qemu:argh/></qemu:commandline>\n" TAIL,
                     "qemu:commandline/qemu:argh: unsupported element <qemu:argh> (line 5)");
    /* A namespaced element that shadows a known name is not the known element. */
    expect_one_error(HEAD MEM "<x:vcpu xmlns:x='urn:x'>4</x:vcpu>\n" TAIL,
                     "x:vcpu: unsupported element <x:vcpu> (line 5)");
    /* A namespaced attribute is not the plain one. */
    expect_one_error("<domain type='kvm' xmlns:x='urn:x'>\n<name>t</name>\n"
                     "<os><type>hvm</type></os>\n<memory x:unit='GiB'>1024</memory>\n" TAIL,
                     "memory@x:unit: unsupported attribute (line 4)");
    expect_one_error("<domain type='kvm'>\nhello\n<name>t</name>\n<os><type>hvm</type></os>\n"
                     MEM TAIL, "domain: unexpected text in <domain> (line 1)");
    expect_one_error(HEAD MEM "<vcpu>2<extra/></vcpu>\n" TAIL,
                     "vcpu/extra: unsupported element <extra> (line 5)");
    expect_one_error(HEAD MEM "<iothreadids><iothread id='1' thread_pool_max='2'/>"
                     "</iothreadids>\n" TAIL,
                     "iothreadids/iothread@thread_pool_max: unsupported attribute (line 5)");
    expect_one_error(HEAD MEM "<memoryBacking><discard/></memoryBacking>\n" TAIL,
                     "memoryBacking/discard: unsupported element <discard> (line 5)");

    /* Every unknown item is reported, one message per unknown subtree. */
    struct res R;
    run(&R, HEAD MEM "<foo><bar/></foo>\n<baz/>\n<vcpu a='1' b='2'>1</vcpu>\n" TAIL);
    assert_int_equal(R.g.n_errors, 4);
    assert_error(&R, "foo: unsupported element <foo> (line 5)");
    assert_error(&R, "baz: unsupported element <baz> (line 6)");
    assert_error(&R, "vcpu@a: unsupported attribute (line 7)");
    assert_error(&R, "vcpu@b: unsupported attribute (line 7)");
    done(&R);
}

static void test_ignored_by_design(void **state)
{
    (void)state;
    struct res R;
    expect_ok(&R, "<domain type='kvm' id='3'>\n"
                  "<name>t</name>\n"
                  "<title>Web server</title>\n"
                  "<description>Runs the\nweb site</description>\n"
                  "<metadata>\n"
                  "<app:info xmlns:app='http://example.org/app' version='2'>"
                  "<app:owner>ops</app:owner></app:info>\n"
                  "</metadata>\n"
                  "<os><type>hvm</type></os>\n" MEM
                  "<resource><partition>/machine</partition></resource>\n"
                  "<seclabel type='dynamic' model='selinux' relabel='yes'>\n"
                  "<label>system_u:system_r:svirt_t:s0:c1,c2</label>\n"
                  "<imagelabel>system_u:object_r:svirt_image_t:s0:c1,c2</imagelabel>\n"
                  "</seclabel>\n"
                  "<seclabel type='dynamic' model='dac' relabel='yes'>"
                  "<label>+64055:+994</label></seclabel>\n"
                  "<!-- a comment -->\n"
                  "<?some-pi data?>\n" TAIL);
    assert_string_equal(R.d->title, "Web server");
    assert_string_equal(R.d->description, "Runs the\nweb site");
    assert_int_equal(R.d->id, 3);
    assert_int_equal(R.g.n, 0);
    done(&R);
}

/* ---- safe loading ---- */

static void test_load_empty(void **state)
{
    (void)state;
    struct res R;
    run_len(&R, "", 0);
    assert_error(&R, "domain: the file is empty");
    done(&R);
    run(&R, " \n\t\r\n");
    assert_error(&R, "domain: the file is empty");
    assert_int_equal(R.g.n, 1);
    done(&R);
}

/* The buffer is (xml, len): the parser must not read past len even without a NUL. */
static void test_load_unterminated_buffer(void **state)
{
    (void)state;
    const size_t len = 64;
    char *buf = malloc(len);
    assert_non_null(buf);
    memset(buf, ' ', len);
    struct res R;
    run_len(&R, buf, len);
    assert_error(&R, "domain: the file is empty");
    done(&R);

    static const char doc[] = HEAD MEM TAIL;
    char *exact = malloc(sizeof(doc) - 1);
    assert_non_null(exact);
    memcpy(exact, doc, sizeof(doc) - 1);
    run_len(&R, exact, sizeof(doc) - 1);
    assert_ok(&R);
    done(&R);
    free(exact);
    free(buf);

    /* Found by fuzz-network: the attribute cap's message read the element name past the
     * end of a buffer that ends inside the start tag. */
    char *tag = malloc(DOM_XML_MAX_ATTRS + 5);
    assert_non_null(tag);
    memcpy(tag, "<ab", 3);
    memset(tag + 3, '=', DOM_XML_MAX_ATTRS + 2);
    run_len(&R, tag, DOM_XML_MAX_ATTRS + 5);
    assert_error(&R, "domain: element <ab> has more than 256 attributes (line 1)");
    done(&R);
    free(tag);
}

static void test_load_nul(void **state)
{
    (void)state;
    static const char doc[] = "<domain type='kvm'>\n<name>t\0x</name>\n</domain>\n";
    struct res R;
    run_len(&R, doc, sizeof(doc) - 1);
    assert_error(&R, "domain: the document contains a NUL byte, so it is not XML text");
    assert_int_equal(R.g.n, 1);
    done(&R);
}

static void test_load_size_cap(void **state)
{
    (void)state;
    /* buf[1..] is a valid document of exactly the limit (padded with whitespace); buf[0]
     * is one more leading space. */
    size_t len = DOM_XML_MAX_BYTES + 1;
    char *buf = malloc(len + 1);
    assert_non_null(buf);
    memset(buf, ' ', len);
    memcpy(buf + 1, HEAD MEM, strlen(HEAD MEM));
    memcpy(buf + len - strlen(TAIL), TAIL, strlen(TAIL));
    buf[len] = '\0';
    struct res R;
    run_len(&R, buf, len);
    assert_error(&R, "domain: the document is 4194305 bytes, over the 4194304 byte limit for "
                 "domain XML");
    done(&R);
    /* Exactly at the limit is accepted. */
    run_len(&R, buf + 1, len - 1);
    assert_ok(&R);
    done(&R);
    free(buf);
}

static void test_load_dtd_rejected(void **state)
{
    (void)state;
    static const char *const docs[] = {
        /* billion laughs */
        "<?xml version='1.0'?>\n<!DOCTYPE domain [\n<!ENTITY a 'aaaaaaaaaa'>\n"
        "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>\n"
        "<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>\n]>\n"
        "<domain type='kvm'><name>&c;</name>" MEM "<os><type>hvm</type></os></domain>\n",
        /* XXE */
        "<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>\n"
        "<domain type='kvm'><name>&x;</name>" MEM "<os><type>hvm</type></os></domain>\n",
        /* external DTD */
        "<!DOCTYPE domain SYSTEM 'http://example.invalid/domain.dtd'>\n"
        "<domain type='kvm'><name>t</name>" MEM "<os><type>hvm</type></os></domain>\n",
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        struct res R;
        run(&R, docs[i]);
        assert_error(&R, "domain: document type declarations (DOCTYPE/ENTITY) are not allowed "
                     "in domain XML");
        assert_int_equal(R.g.n, 1);
        done(&R);
    }
}

static void test_load_malformed(void **state)
{
    (void)state;
    struct res R;
    run(&R, "<domain type='kvm'>\n<name>t</name>\n<memory>1024");
    assert_int_equal(R.r, -EINVAL);
    assert_int_equal(R.g.n, 1);
    assert_string_equal(R.g.v[0].where, "domain");
    assert_true(strncmp(R.g.v[0].msg, "malformed XML: ", 15) == 0);
    assert_null(strchr(R.g.v[0].msg, '\n'));
    assert_int_equal(R.g.v[0].line, 3);
    done(&R);

    /* An undefined entity reference without any DTD. */
    run(&R, "<domain type='kvm'>\n<name>&foo;</name>\n</domain>\n");
    assert_int_equal(R.r, -EINVAL);
    assert_int_equal(R.g.n, 1);
    assert_true(strncmp(R.g.v[0].msg, "malformed XML: ", 15) == 0);
    assert_non_null(strstr(R.g.v[0].msg, "foo"));
    assert_int_equal(R.g.v[0].line, 2);
    done(&R);
}

/* Invalid UTF-8: one clear line, no raw libxml2 dump spanning several lines. */
static void test_load_invalid_utf8(void **state)
{
    (void)state;
    struct res R;
    run(&R, "<domain type='kvm'>\n<name>a\xff\xfe" "b</name>\n<os><type>hvm</type></os>\n"
            MEM TAIL);
    assert_int_equal(R.r, -EINVAL);
    assert_int_equal(R.g.n, 1);
    assert_true(strncmp(R.g.v[0].msg, "malformed XML: ", 15) == 0);
    assert_non_null(strstr(R.g.v[0].msg, "UTF-8"));
    char *s = dom_diag_format(&R.g.v[0]);
    if (strchr(s, '\n'))
        fail_msg("the message spans several lines: '%s'", s);
    free(s);
    done(&R);
}

static void test_load_root(void **state)
{
    (void)state;
    expect_one_error("<foo type='kvm'><name>t</name></foo>\n",
                     "foo: the root element must be <domain>, not <foo> (line 1)");
    expect_one_error("<?xml version='1.0'?>\n<!-- c -->\n<network/>\n",
                     "network: the root element must be <domain>, not <network> (line 3)");
}

/* A namespaced <domain> root is rejected, and the message must not contradict itself. */
static void test_load_namespaced_root(void **state)
{
    (void)state;
    struct res R;
    run(&R, "<x:domain xmlns:x='urn:x' type='kvm'><name>t</name></x:domain>\n");
    assert_int_equal(R.r, -EINVAL);
    assert_int_equal(R.g.n_errors, 1);
    assert_non_null(strstr(R.g.v[0].msg, "the root element must be <domain>"));
    if (strstr(R.g.v[0].msg, "not <domain>"))
        fail_msg("self-contradictory message: '%s'", R.g.v[0].msg);
    done(&R);
}

static char *nested_doc(int levels)
{
    /* root (1) > metadata (2) > levels x <a> (3 ...) */
    size_t cap = (size_t)levels * 8 + 512;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t n = (size_t)snprintf(s, cap, "%s%s<metadata>", HEAD, MEM);
    for (int i = 0; i < levels; i++)
        n += (size_t)snprintf(s + n, cap - n, "<a>");
    for (int i = 0; i < levels; i++)
        n += (size_t)snprintf(s + n, cap - n, "</a>");
    snprintf(s + n, cap - n, "</metadata>\n%s", TAIL);
    return s;
}

static void test_load_depth(void **state)
{
    (void)state;
    struct res R;
    char *ok = nested_doc(DOM_XML_MAX_DEPTH - 2);       /* deepest element at depth 64 */
    expect_ok(&R, ok);
    done(&R);
    free(ok);

    char *deep = nested_doc(DOM_XML_MAX_DEPTH - 1);     /* depth 65 */
    run(&R, deep);
    assert_error(&R, "domain: the document nests elements deeper than 64 levels");
    assert_int_equal(R.g.n, 1);
    done(&R);
    free(deep);

    /* Far deeper than libxml2's own limit (256): still qlaunch's own clear error, not
     * libxml2's advice to use XML_PARSE_HUGE. */
    char *huge = nested_doc(10000);
    run(&R, huge);
    assert_int_equal(R.r, -EINVAL);
    assert_int_equal(R.g.n, 1);
    assert_string_equal(R.g.v[0].msg, "the document nests elements deeper than 64 levels");
    done(&R);
    free(huge);
}

/* XInclude is never processed: <xi:include> is an unsupported element. */
static void test_load_xinclude(void **state)
{
    (void)state;
    struct res R;
    run(&R, "<domain type='kvm' xmlns:xi='http://www.w3.org/2001/XInclude'>\n"
            "<name>t</name>\n<os><type>hvm</type></os>\n" MEM
            "<xi:include href='/etc/passwd' parse='text'/>\n" TAIL);
    assert_error(&R, "xi:include: unsupported element <xi:include> (line 5)");
    assert_int_equal(R.g.n, 1);
    done(&R);

    run(&R, "<domain type='kvm'>\n<name><xi:include "
            "xmlns:xi='http://www.w3.org/2001/XInclude' href='/etc/hostname' parse='text'/>"
            "</name>\n<os><type>hvm</type></os>\n" MEM TAIL);
    assert_int_equal(R.r, -EINVAL);
    assert_diag(&R, DOM_DIAG_ERROR, "name/xi:include: unsupported element <xi:include> "
                "(line 2)");
    done(&R);
}

static void test_parse_file(void **state)
{
    (void)state;
    struct res R;
    memset(&R, 0, sizeof(R));
    R.r = dom_parse_file("/nonexistent/qlaunch-test.xml", &R.d, &R.g);
    assert_int_equal(R.r, -ENOENT);
    assert_null(R.d);
    assert_diag(&R, DOM_DIAG_ERROR, "domain: cannot open '/nonexistent/qlaunch-test.xml': No "
                "such file or directory");
    done(&R);

    memset(&R, 0, sizeof(R));
    R.r = dom_parse_file("/", &R.d, &R.g);
    assert_int_equal(R.r, -EISDIR);
    assert_diag(&R, DOM_DIAG_ERROR, "domain: '/' is a directory, not a file");
    done(&R);

    char path[] = "/tmp/qlaunch-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char doc[] = HEAD MEM TAIL;
    assert_int_equal(write(fd, doc, sizeof(doc) - 1), (ssize_t)(sizeof(doc) - 1));
    close(fd);
    memset(&R, 0, sizeof(R));
    R.r = dom_parse_file(path, &R.d, &R.g);
    assert_ok(&R);
    assert_string_equal(R.d->source_file, path);
    done(&R);
    unlink(path);
}

/* ---- MAC addresses ---- */

static void test_mac(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"52:54:00:AB:cd:Ef", "52:54:00:ab:cd:ef"},
        {"0a:ee:ee:6f:61:d5", "0a:ee:ee:6f:61:d5"},
        {"52-54-00-12-34-56", "52:54:00:12:34:56"},
        {"2:4:0:a:b:c", "02:04:00:0a:0b:0c"},
        {"01:00:5e:00:00:01", NULL},        /* multicast */
        {"ff:ff:ff:ff:ff:ff", NULL},
        {"52:54:00:ab:cd", NULL},
        {"52:54:00:ab:cd:ef:01", NULL},
        {"52:54:00:ab:cd:ef:", NULL},
        {"525:4:00:ab:cd:ef", NULL},
        {"52:54:00:ab:cd:eg", NULL},
        {"52:54:00::cd:ef", NULL},
        {"", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *m = dom_parse_mac(cases[i].in);
        if (!cases[i].out != !m || (m && strcmp(m, cases[i].out) != 0))
            fail_msg("'%s' gave %s, want %s", cases[i].in, m ? m : "NULL",
                     cases[i].out ? cases[i].out : "NULL");
        free(m);
    }
}

/* ---- the seed domain, as the user wrote it ---- */

static char *seed_path(void)
{
    return tu_srcdir_path("examples/seed-domain.xml");
}

static char *read_all(const char *path, size_t *ret_len)
{
    char *data = tu_read_file(path, ret_len);
    if (!data)
        fail_msg("cannot read %s (set QLAUNCH_TEST_SRCDIR to the source directory)", path);
    return data;
}

/* Replaces the one occurrence of from by to in s (a malloc'ed string). */
static char *replace(char *s, const char *from, const char *to)
{
    char *at = strstr(s, from);
    if (!at)
        fail_msg("'%s' not found in the seed", from);
    char *r = NULL;
    assert_true(asprintf(&r, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from)) > 0);
    free(s);
    return r;
}

static void test_seed(void **state)
{
    (void)state;
    char *path = seed_path();
    struct res R;
    memset(&R, 0, sizeof(R));
    R.r = dom_parse_file(path, &R.d, &R.g);
    assert_int_equal(R.r, -EINVAL);
    assert_null(R.d);
    /* The only error: libvirt's topology check, with both ways to fix it. */
    assert_error(&R, "cpu/topology: the CPU topology gives 2\xc3\x97" "8\xc3\x97" "2 = 32 vCPUs "
                 "but <vcpu> is 2; libvirt and QEMU both reject this: set <vcpu> to 32 (add "
                 "current='2' to start with 2 online) or change the topology to sockets='1' "
                 "cores='2' threads='1' (line 17)");
    if (R.g.n_errors != 1) {
        dump(&R);
        fail_msg("the seed should have exactly one error");
    }
    /* machine='' is explained, and on_crash=restart gets a panic device. */
    assert_diag(&R, DOM_DIAG_NOTE, "os/type@machine: empty machine type: using the default "
                "'pc' as libvirt does (line 8)");
    done(&R);
    free(path);
}

/* Each suggested fix, applied to the seed, makes it valid. */
static void test_seed_fixes(void **state)
{
    (void)state;
    char *path = seed_path();
    size_t len;
    char *orig = read_all(path, &len);

    char *a = replace(strdup(orig), "<topology cores=\"8\" sockets=\"2\" threads=\"2\" />",
                      "<topology cores=\"2\" sockets=\"1\" threads=\"1\" />");
    struct res R;
    run(&R, a);
    assert_ok(&R);
    assert_int_equal(R.d->vcpus, 2);
    assert_int_equal(dom_vcpus_online(R.d), 2);
    assert_string_equal(R.d->name, "6F61D5");
    assert_memory_equal(R.d->uuid, seed_uuid, 16);
    assert_int_equal(R.d->memory_kib, 2097152);
    assert_int_equal(R.d->current_memory_kib, 2097152);
    assert_int_equal(R.d->clock.offset, DOM_CLOCK_LOCALTIME);
    assert_int_equal(dom_on_reboot(R.d), DOM_LC_RESTART);
    assert_int_equal(dom_on_crash(R.d), DOM_LC_RESTART);
    assert_int_equal(R.d->features.f[DOM_FEAT_ACPI], DOM_TRI_ON);
    assert_int_equal(R.d->features.f[DOM_FEAT_APIC], DOM_TRI_ON);
    assert_int_equal(R.d->features.f[DOM_FEAT_PAE], DOM_TRI_ON);
    assert_int_equal(R.d->os.n_boot, 1);
    assert_int_equal(R.d->os.boot[0], DOM_BOOT_HD);
    assert_null(R.d->os.machine);
    assert_diag(&R, DOM_DIAG_NOTE, "on_crash: added <panic model='isa'/> so that QEMU reports "
                "guest crashes; without a panic device on_crash='restart' could never trigger");
    done(&R);
    free(a);

    char *b = replace(strdup(orig), "<vcpu current=\"2\" placement=\"static\">2</vcpu>",
                      "<vcpu current=\"2\" placement=\"static\">32</vcpu>");
    run(&R, b);
    assert_ok(&R);
    assert_int_equal(R.d->vcpus, 32);
    assert_int_equal(dom_vcpus_online(R.d), 2);
    done(&R);
    free(b);
    free(orig);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diag_format),
        cmocka_unit_test(test_error_api),
        cmocka_unit_test(test_builder_error_located),
        cmocka_unit_test(test_validate_json_builder_error),
        cmocka_unit_test(test_minimal),
        cmocka_unit_test(test_domain_type_and_id),
        cmocka_unit_test(test_name),
        cmocka_unit_test(test_name_invalid),
        cmocka_unit_test(test_name_rules),
        cmocka_unit_test(test_diag_cap),
        cmocka_unit_test(test_xml_caps),
        cmocka_unit_test(test_uuid),
        cmocka_unit_test(test_uuid_default_is_name_based),
        cmocka_unit_test(test_memory_units),
        cmocka_unit_test(test_memory_elements),
        cmocka_unit_test(test_memory_invalid),
        cmocka_unit_test(test_vcpu),
        cmocka_unit_test(test_vcpu_invalid),
        cmocka_unit_test(test_cpuset),
        cmocka_unit_test(test_cputune),
        cmocka_unit_test(test_cpuset_mask),
        cmocka_unit_test(test_cputune_invalid),
        cmocka_unit_test(test_cputune_negative_shares),
        cmocka_unit_test(test_cputune_vcpupin_range),
        cmocka_unit_test(test_cpu),
        cmocka_unit_test(test_cpu_invalid),
        cmocka_unit_test(test_topology_vs_vcpu),
        cmocka_unit_test(test_topology_with_dies),
        cmocka_unit_test(test_numa_vs_memory),
        cmocka_unit_test(test_os),
        cmocka_unit_test(test_os_empty_machine),
        cmocka_unit_test(test_os_invalid),
        cmocka_unit_test(test_features),
        cmocka_unit_test(test_features_invalid),
        cmocka_unit_test(test_genid),
        cmocka_unit_test(test_clock),
        cmocka_unit_test(test_clock_invalid),
        cmocka_unit_test(test_lifecycle),
        cmocka_unit_test(test_lifecycle_rejected),
        cmocka_unit_test(test_pm),
        cmocka_unit_test(test_no_silent_drops),
        cmocka_unit_test(test_ignored_by_design),
        cmocka_unit_test(test_load_empty),
        cmocka_unit_test(test_load_nul),
        cmocka_unit_test(test_load_size_cap),
        cmocka_unit_test(test_load_dtd_rejected),
        cmocka_unit_test(test_load_malformed),
        cmocka_unit_test(test_load_invalid_utf8),
        cmocka_unit_test(test_load_root),
        cmocka_unit_test(test_load_namespaced_root),
        cmocka_unit_test(test_load_depth),
        cmocka_unit_test(test_load_xinclude),
        cmocka_unit_test(test_parse_file),
        cmocka_unit_test(test_memory_backing),
        cmocka_unit_test(test_iothreads),
        cmocka_unit_test(test_mac),
        cmocka_unit_test(test_seclabel),
        cmocka_unit_test(test_seed),
        cmocka_unit_test(test_seed_fixes),
        /* Last: under ASan an over-read aborts the whole program. */
        cmocka_unit_test(test_load_unterminated_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

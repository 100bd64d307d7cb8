/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kdsim debugger scripts (script.h). */
#include "script.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kdparse/modmap.h"

typedef enum {
    C_RESET, C_WAIT_STATE, C_GET_VERSION, C_READ_VIRTUAL, C_WRITE_VIRTUAL, C_READ_PHYSICAL,
    C_GET_CONTEXT, C_SET_CONTEXT, C_BP, C_BC, C_CONTINUE, C_STEP, C_BREAK, C_PROMPT_ANSWER, C_EXPECT, C_WAIT_IO,
    C_MODULES
} cmd_kind;

static const struct {
    const char *name;
    cmd_kind kind;
    int min_args, max_args;
} commands[] = {
    {"reset", C_RESET, 0, 0},           {"wait_state", C_WAIT_STATE, 0, 1},
    {"get_version", C_GET_VERSION, 0, 0}, {"read_virtual", C_READ_VIRTUAL, 2, 2},
    {"write_virtual", C_WRITE_VIRTUAL, 2, 2}, {"read_physical", C_READ_PHYSICAL, 2, 2},
    {"get_context", C_GET_CONTEXT, 0, 0}, {"set_context", C_SET_CONTEXT, 0, 0},
    {"bp", C_BP, 1, 1},                 {"bc", C_BC, 1, 1},
    {"continue", C_CONTINUE, 0, 0},     {"step", C_STEP, 0, 0},
    {"break", C_BREAK, 0, 0},           {"prompt_answer", C_PROMPT_ANSWER, 1, 1},
    {"expect", C_EXPECT, 3, 3},         {"wait_io", C_WAIT_IO, 0, 1},
    {"modules", C_MODULES, 0, 0},
};

typedef struct cmd {
    cmd_kind kind;
    int line;
    int argc;
    char *argv[3];
} cmd;

/* A module the last "modules" walk found. */
typedef struct walked_module {
    uint64_t base;
    uint32_t size;
    char name[KD_MODMAP_NAME];
} walked_module;

#define WALK_MAX 64u /* entries a walk visits at most (a list that loops ends there) */

struct kdsim_script {
    cmd *v;
    size_t n;
    /* run state */
    uint64_t kernbase;
    uint64_t module_list;      /* GetVersion's PsLoadedModuleList */
    kd_modmap *mods;           /* what the session revealed, for WinDbg's module names */
    uint64_t frame;            /* messages received */
    walked_module walked[WALK_MAX];
    size_t nwalked;
    kd_arch arch;
    uint8_t width;             /* 32 after a type-1 state change (NT4/2000) */
    char prompt_answer[256];
    uint8_t context[2048];
    size_t context_len;
    uint32_t context_flags;
    kd_msg *last;              /* the last message received, for expect */
    kd_msg *sent;              /* scratch: what we send, decoded for the log */
    uint8_t last_bytes[KD_ITEM_MAX_BYTES];
    kd_item last_item;
};

static void free_cmds(kdsim_script *s)
{
    for (size_t i = 0; i < s->n; i++)
        for (int a = 0; a < s->v[i].argc; a++)
            free(s->v[i].argv[a]);
    free(s->v);
}

void kdsim_script_free(kdsim_script *s)
{
    if (!s)
        return;
    free_cmds(s);
    free(s->last);
    free(s->sent);
    kd_modmap_free(s->mods);
    free(s);
}

static int parse_number(const char *t, uint64_t *out)
{
    char *end;
    errno = 0;
    *out = strtoull(t, &end, 0);
    return (*t && !*end && errno == 0) ? 0 : -1;
}

/* The length of the module name t starts with ([A-Za-z_][A-Za-z0-9_]*), 0 if none. */
static size_t name_len(const char *t)
{
    size_t n = 0;
    if (!isalpha((unsigned char)t[0]) && t[0] != '_')
        return 0;
    while (isalnum((unsigned char)t[n]) || t[n] == '_')
        n++;
    return n;
}

/* ADDR: a number, or NAME[+N] with NAME kernbase (after get_version) or a
 * module the modules walk found (resolved at run time). */
static int valid_addr(const char *t)
{
    uint64_t v;
    size_t n = name_len(t);
    if (n)
        return t[n] == 0 || (t[n] == '+' && parse_number(t + n + 1, &v) == 0);
    return parse_number(t, &v) == 0;
}

static int valid_hex(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n % 2 || n > 2 * 3944)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789abcdefABCDEF", t[i]))
            return 0;
    return 1;
}

kdsim_script *kdsim_script_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s", strerror(errno));
        return NULL;
    }
    kdsim_script *s = kdsim_script_read(f, err, errlen);
    fclose(f);
    return s;
}

kdsim_script *kdsim_script_read(FILE *f, char *err, size_t errlen)
{
    kdsim_script *s = calloc(1, sizeof *s);
    size_t cap = 0;
    char line[8192];
    int lineno = 0;
    while (s && fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        char *tok[5];
        int nt = 0;
        for (char *p = strtok(line, " \t\r\n"); p && nt < 5; p = strtok(NULL, " \t\r\n"))
            tok[nt++] = p;
        if (nt == 0)
            continue;
        size_t k = 0;
        while (k < sizeof commands / sizeof commands[0] && strcmp(commands[k].name, tok[0]) != 0)
            k++;
        if (k == sizeof commands / sizeof commands[0]) {
            snprintf(err, errlen, "%d: unknown command '%s'", lineno, tok[0]);
            goto bad;
        }
        if (nt - 1 < commands[k].min_args || nt - 1 > commands[k].max_args) {
            snprintf(err, errlen, "%d: %s takes %d argument%s", lineno, tok[0], commands[k].max_args,
                     commands[k].max_args == 1 ? "" : "s");
            goto bad;
        }
        cmd c = {.kind = commands[k].kind, .line = lineno, .argc = nt - 1};
        uint64_t v;
        const char *why = NULL;
        switch (c.kind) {
        case C_READ_VIRTUAL:
        case C_READ_PHYSICAL:
            if (!valid_addr(tok[1]))
                why = "bad address";
            else if (parse_number(tok[2], &v) != 0 || v == 0 || v > 3944)
                why = "bad length (1 to 3944)";
            break;
        case C_WRITE_VIRTUAL:
            if (!valid_addr(tok[1]))
                why = "bad address";
            else if (!valid_hex(tok[2]))
                why = "bad bytes (an even number of hex digits, at most 3944 bytes)";
            break;
        case C_BP:
            if (!valid_addr(tok[1]))
                why = "bad address";
            break;
        case C_BC:
            if (parse_number(tok[1], &v) != 0)
                why = "bad handle";
            break;
        case C_WAIT_STATE:
            if (nt == 2 && strcmp(tok[1], "exception") && strcmp(tok[1], "load_symbols") &&
                strcmp(tok[1], "command_string"))
                why = "expected exception, load_symbols or command_string";
            break;
        case C_WAIT_IO:
            if (nt == 2 && strcmp(tok[1], "print") && strcmp(tok[1], "prompt"))
                why = "expected print or prompt";
            break;
        case C_EXPECT:
            if (strcmp(tok[1], "modules") == 0) { /* the last walk: contains NAME, or a count */
                if (strcmp(tok[2], "contains") != 0 && parse_number(tok[3], &v) != 0)
                    why = "modules: expected contains NAME or a count";
            } else if (kd_field_by_name(tok[1]) < 0)
                why = "no such field (kdcat --list-fields)";
            else if (strcmp(tok[2], "==") && strcmp(tok[2], "!=") && strcmp(tok[2], "<") && strcmp(tok[2], "<=") &&
                     strcmp(tok[2], ">") && strcmp(tok[2], ">=") && strcmp(tok[2], "contains"))
                why = "expected == != < <= > >= or contains";
            else if (strcmp(tok[2], "contains") != 0 && !valid_addr(tok[3]))
                why = "expected a number (or kernbase+N, MODULE+N)";
            break;
        default:
            break;
        }
        if (why) {
            snprintf(err, errlen, "%d: %s: %s", lineno, tok[0], why);
            goto bad;
        }
        for (int a = 0; a < c.argc; a++)
            c.argv[a] = strdup(tok[a + 1]);
        if (s->n == cap) {
            cap = cap ? cap * 2 : 32;
            cmd *nv = realloc(s->v, cap * sizeof *nv);
            if (!nv)
                goto oom;
            s->v = nv;
        }
        s->v[s->n++] = c;
    }
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->last = calloc(1, sizeof *s->last);
    s->sent = calloc(1, sizeof *s->sent);
    s->mods = kd_modmap_new();
    if (!s->last || !s->sent || !s->mods) {
        kdsim_script_free(s);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(s->prompt_answer, sizeof s->prompt_answer, "g");
    return s;
oom:
    snprintf(err, errlen, "out of memory");
bad:
    kdsim_script_free(s);
    return NULL;
}

/* ------------------------------------------------------------ running */

/* An ADDR's value; -1 for a module name the modules walk did not find. */
static int addr_of(const kdsim_script *s, const char *t, uint64_t *out)
{
    uint64_t v = 0;
    size_t n = name_len(t);
    if (!n) {
        parse_number(t, out);
        return 0;
    }
    if (t[n] == '+')
        parse_number(t + n + 1, &v);
    if (n == 8 && strncmp(t, "kernbase", 8) == 0) {
        *out = s->kernbase + v;
        return 0;
    }
    for (size_t i = 0; i < s->nwalked; i++)
        if (strlen(s->walked[i].name) == n && strncmp(s->walked[i].name, t, n) == 0) {
            *out = s->walked[i].base + v;
            return 0;
        }
    return -1;
}

static void log_msg(FILE *log, const char *arrow, const kd_msg *m)
{
    char line[512];
    kd_msg_summary(m, NULL, line, sizeof line);
    fprintf(log, "%s %s\n", arrow, line);
}

static void log_sent(kdsim_script *s, FILE *log, const kd_enc_msg *m)
{
    uint8_t pkt[KD_ITEM_MAX_BYTES];
    long n = kd_encode(m, KD_TRANSPORT_SERIAL, pkt, sizeof pkt);
    if (n < 0)
        return;
    kd_item it = kd_item_from_bytes(pkt, (size_t)n, KD_ITEM_DATA, 0, KD_DIR_D2T);
    kd_decode_opts o = {.arch = s->arch, .width = s->width};
    kd_decode(&it, &o, s->sent);
    log_msg(log, "->", s->sent);
}

/* Keeps the received message for expect. */
static void remember(kdsim_script *s, const kdsim_event *ev)
{
    memcpy(s->last_bytes, ev->item.bytes, ev->item.len);
    s->last_item = kd_item_from_bytes(s->last_bytes, ev->item.len, ev->item.kind, ev->item.flags, ev->item.dir);
    kd_decode_opts o = {.arch = s->arch, .width = s->width};
    kd_decode(&s->last_item, &o, s->last);
    kd_modmap_feed(s->mods, s->last, ++s->frame);
}

/*
 * Waits for a data packet from the target: prints DbgPrint lines, answers
 * DbgPrompts, and returns the first message of packet type want (or any
 * state change when want is 0; with want KD_TYPE_DEBUG_IO, the first
 * DEBUG_IO of API io_api, any when 0).  0 or -1.
 */
static int wait_for(kdsim_script *s, kdsim_link *l, FILE *log, uint16_t want, uint32_t io_api, kdsim_event *ev)
{
    for (;;) {
        kdsim_link_recv(l, 30000, ev);
        if (ev->kind == KDSIM_EV_TIMEOUT || ev->kind == KDSIM_EV_CLOSED)
            return -1;
        if (ev->kind != KDSIM_EV_DATA)
            continue;
        const kd_msg *m = ev->msg;
        if (m->type == KD_TYPE_DEBUG_IO) {
            log_msg(log, "<-", m);
            int done = want == KD_TYPE_DEBUG_IO && (io_api == 0 || m->api == io_api);
            if (done)
                remember(s, ev);
            if (m->api == KD_IO_GET_STRING) {
                kd_enc_msg a = {.type = KD_TYPE_DEBUG_IO, .api = KD_IO_GET_STRING, .dir = KD_DIR_D2T,
                                .data = (const uint8_t *)s->prompt_answer, .data_len = strlen(s->prompt_answer)};
                log_sent(s, log, &a);
                if (kdsim_link_send(l, &a) != 0)
                    return -1;
            }
            if (done)
                return 0;
            continue;
        }
        int is_state = m->type == KD_TYPE_STATE_CHANGE64 || m->type == KD_TYPE_STATE_CHANGE32;
        if (m->type == KD_TYPE_STATE_CHANGE32 && s->width != 32) {
            /* Only x86 NT4/2000 targets send type 1: 32-bit manipulate from now on. */
            s->width = 32;
            s->arch = KD_ARCH_X86;
            kdsim_link_set_views(l, s->arch, 32);
        }
        if ((want == 0 && is_state) || m->type == want) {
            log_msg(log, "<-", m);
            remember(s, ev);
            return 0;
        }
        log_msg(log, "<- (unexpected)", m);
    }
}

/* A manipulate request and its reply. */
static int request(kdsim_script *s, kdsim_link *l, FILE *log, kd_enc_msg *m)
{
    m->type = KD_TYPE_STATE_MANIPULATE;
    m->dir = KD_DIR_D2T;
    m->arch = s->arch;
    m->width = s->width;
    log_sent(s, log, m);
    if (kdsim_link_send(l, m) != 0)
        return -1;
    kdsim_event ev;
    for (;;) {
        if (wait_for(s, l, log, KD_TYPE_STATE_MANIPULATE, 0, &ev) != 0)
            return -1;
        if (s->last->api == m->api)
            return 0;
    }
}

/* Continue2 (§3.7 item 8) with DBG_CONTINUE: no reply, the target resumes. */
static int send_continue(kdsim_script *s, kdsim_link *l, FILE *log, int trace)
{
    kd_enc_field f[] = {{KD_F_M_C2_CONTINUE_STATUS, KD_DBG_CONTINUE}, {KD_F_CS_TRACE_FLAG, (uint64_t)trace},
                        {KD_F_CS_CURRENT_SYMBOL_START, 1}};
    kd_enc_msg m = {.type = KD_TYPE_STATE_MANIPULATE, .api = KD_API_CONTINUE2, .dir = KD_DIR_D2T,
                    .arch = s->arch ? s->arch : KD_ARCH_AMD64, .width = s->width, .fields = f, .n_fields = 3};
    log_sent(s, log, &m);
    return kdsim_link_send(l, &m);
}

static int hex_bytes(const char *t, uint8_t *out)
{
    size_t n = strlen(t) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(t + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return (int)n;
}

/* expect modules contains NAME / expect modules OP COUNT: the last walk. */
static int expect_modules(kdsim_script *s, const cmd *c, FILE *log, char *err, size_t errlen)
{
    int good = 0;
    if (strcmp(c->argv[1], "contains") == 0) {
        for (size_t i = 0; i < s->nwalked; i++)
            good |= strcmp(s->walked[i].name, c->argv[2]) == 0;
    } else {
        uint64_t want = 0, v = s->nwalked;
        parse_number(c->argv[2], &want);
        const char *op = c->argv[1];
        good = strcmp(op, "==") == 0   ? v == want
               : strcmp(op, "!=") == 0 ? v != want
               : strcmp(op, "<") == 0  ? v < want
               : strcmp(op, "<=") == 0 ? v <= want
               : strcmp(op, ">") == 0  ? v > want
                                       : v >= want;
    }
    if (!good) {
        snprintf(err, errlen, "%d: expect modules %s %s: the walk found %zu module%s%s%s", c->line, c->argv[1],
                 c->argv[2], s->nwalked, s->nwalked == 1 ? "" : "s", s->nwalked ? ", the first " : "",
                 s->nwalked ? s->walked[0].name : "");
        return 1;
    }
    fprintf(log, "   ok: modules %s %s\n", c->argv[1], c->argv[2]);
    return 0;
}

static int expect(kdsim_script *s, const cmd *c, FILE *log, char *err, size_t errlen)
{
    if (strcmp(c->argv[0], "modules") == 0)
        return expect_modules(s, c, log, err, errlen);
    int f = kd_field_by_name(c->argv[0]);
    const kd_node *n = kd_msg_find(s->last, (kd_field_id)f);
    if (!n) {
        snprintf(err, errlen, "%d: expect: the last message has no %s", c->line, c->argv[0]);
        return 1;
    }
    kd_ftype t = kd_fields[f].type;
    if (strcmp(c->argv[1], "contains") == 0) {
        char text[4096];
        unsigned char raw[4096]; /* the bytes as they came, for the message */
        size_t k = 0;
        if (t == KD_FT_STRING || t == KD_FT_BYTES)
            for (uint32_t i = 0; i < n->length && k + 1 < sizeof text; i++) {
                raw[k] = n->data[i];
                text[k++] = n->data[i] ? (char)n->data[i] : ' ';
            }
        else if (t == KD_FT_UTF16)
            for (uint32_t i = 0; i + 1 < n->length && k + 1 < sizeof text; i += 2) {
                raw[k] = n->data[i];
                text[k++] = (char)n->data[i];
            }
        text[k] = 0;
        if (strstr(text, c->argv[2]))
            goto ok;
        /* the value as read: printable ASCII as is, any other byte in hex (\xNN) */
        char shown[4 * 200 + 1];
        size_t o = 0;
        for (size_t i = 0; i < k && o + 5 <= sizeof shown; i++) {
            unsigned char b = raw[i];
            if (b >= 0x20 && b < 0x7f && b != '\\' && b != '"')
                shown[o++] = (char)b;
            else
                o += (size_t)snprintf(shown + o, sizeof shown - o, "\\x%02x", b);
        }
        shown[o] = 0;
        snprintf(err, errlen, "%d: expect %s contains \"%s\": it is \"%s\"", c->line, c->argv[0], c->argv[2],
                 shown);
        return 1;
    }
    uint64_t want;
    if (addr_of(s, c->argv[2], &want) != 0) {
        snprintf(err, errlen, "%d: expect: no module '%.*s' (the modules walk did not find it)", c->line,
                 (int)name_len(c->argv[2]), c->argv[2]);
        return 1;
    }
    uint64_t v = n->value;
    const char *op = c->argv[1];
    int good = strcmp(op, "==") == 0   ? v == want
               : strcmp(op, "!=") == 0 ? v != want
               : strcmp(op, "<") == 0  ? v < want
               : strcmp(op, "<=") == 0 ? v <= want
               : strcmp(op, ">") == 0  ? v > want
                                       : v >= want;
    if (!good) {
        snprintf(err, errlen, "%d: expect %s %s %s: it is 0x%llx", c->line, c->argv[0], op, c->argv[2],
                 (unsigned long long)v);
        return 1;
    }
ok:
    fprintf(log, "   ok: %s %s %s\n", c->argv[0], c->argv[1], c->argv[2]);
    return 0;
}

/* ReadVirtualMemory of len bytes at a: the reply's data (NULL when the
 * target read fewer), or NULL with *rc -1 when the link failed. */
static const uint8_t *read_mem(kdsim_script *s, kdsim_link *l, FILE *log, uint64_t a, size_t len, int *rc)
{
    kd_enc_field f[2] = {{KD_F_M_RM_TARGET_BASE_ADDRESS, a}, {KD_F_M_RM_TRANSFER_COUNT, len}};
    kd_enc_msg m = {.api = KD_API_READ_VIRTUAL_MEMORY, .fields = f, .n_fields = 2};
    *rc = request(s, l, log, &m);
    if (*rc != 0)
        return NULL;
    const kd_node *st = kd_msg_find(s->last, KD_F_M_RETURN_STATUS);
    const kd_node *d = kd_msg_find(s->last, KD_F_M_RM_DATA);
    if (!st || st->value != KD_STATUS_SUCCESS || !d || d->length < len)
        return NULL;
    return s->last_bytes + d->offset;
}

/* A little-endian pointer of n bytes, as the target reports addresses
 * (32-bit ones sign-extended on x86, §3.7). */
static uint64_t le_ptr(const kdsim_script *s, const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    if (n == 4 && s->arch == KD_ARCH_X86)
        v = (uint64_t)(int64_t)(int32_t)(uint32_t)v;
    return v;
}

/*
 * The loaded-module list the way WinDbg reads it: PsLoadedModuleList's
 * LIST_ENTRY, then each KLDR_DATA_TABLE_ENTRY up to its BaseDllName
 * (kdparse's kd_ldr_layout_for), then each BaseDllName buffer; until the
 * list comes back to its head, an entry cannot be read, or WALK_MAX entries.
 * Names are the session module map's (WinDbg's: nt, hal, kdcom, the base
 * name without its extension), which these replies taught it.  0, or -1
 * when the link failed.
 */
static int walk_modules(kdsim_script *s, kdsim_link *l, FILE *log)
{
    const unsigned p = s->arch == KD_ARCH_X86 || s->width == 32 ? 4 : 8;
    const kd_ldr_layout *lay = kd_ldr_layout_for(p);
    int rc = 0;
    s->nwalked = 0;
    kd_modmap_set_pointer_size(s->mods, p);
    const uint8_t *b = read_mem(s, l, log, s->module_list, 2 * p, &rc);
    if (!b) {
        if (rc == 0)
            fprintf(log, "   modules: PsLoadedModuleList 0x%llx cannot be read\n", (unsigned long long)s->module_list);
        return rc;
    }
    uint64_t e = le_ptr(s, b, p);
    uint64_t base[WALK_MAX];
    uint32_t size[WALK_MAX];
    size_t n = 0;
    while (e != s->module_list && n < WALK_MAX) {
        b = read_mem(s, l, log, e, lay->base_dll_name + 2 * p, &rc);
        if (!b) {
            if (rc == 0)
                fprintf(log, "   modules: the entry at 0x%llx cannot be read\n", (unsigned long long)e);
            break;
        }
        const uint8_t *name = b + lay->base_dll_name;
        uint64_t next = le_ptr(s, b, p);
        base[n] = le_ptr(s, b + lay->dll_base, p);
        size[n] = (uint32_t)(b[lay->size_of_image] | (uint32_t)b[lay->size_of_image + 1] << 8 |
                             (uint32_t)b[lay->size_of_image + 2] << 16 | (uint32_t)b[lay->size_of_image + 3] << 24);
        size_t len = (size_t)(name[0] | name[1] << 8);
        uint64_t buf = le_ptr(s, name + lay->ustr_buffer, p);
        n++;
        if (len > 510) /* a UNICODE_STRING holds at most 32767 characters; a name far fewer */
            len = 510;
        if (len && !read_mem(s, l, log, buf, len, &rc) && rc != 0)
            break;
        e = next;
    }
    for (size_t i = 0; i < n; i++) {
        walked_module *w = &s->walked[s->nwalked++];
        kd_module_hit h;
        w->base = base[i];
        w->size = size[i];
        if (kd_modmap_lookup(s->mods, base[i], &h) == 0 && h.offset == 0)
            snprintf(w->name, sizeof w->name, "%s", h.mod->name);
        else
            snprintf(w->name, sizeof w->name, "module_%llx", (unsigned long long)base[i]);
        fprintf(log, "   module 0x%016llx 0x%08x %s\n", (unsigned long long)w->base, (unsigned)w->size, w->name);
    }
    return rc;
}

int kdsim_script_run(kdsim_script *s, kdsim_link *l, FILE *log, char *err, size_t errlen)
{
    uint8_t data[KD_PACKET_MAX_SIZE];
    for (size_t i = 0; i < s->n; i++) {
        const cmd *c = &s->v[i];
        kd_enc_msg m = {0};
        kd_enc_field f[8];
        int rc = 0;
        uint64_t addr = 0;
        if ((c->kind == C_READ_VIRTUAL || c->kind == C_READ_PHYSICAL || c->kind == C_WRITE_VIRTUAL ||
             c->kind == C_BP) &&
            addr_of(s, c->argv[0], &addr) != 0) {
            snprintf(err, errlen, "%d: %s: no module '%.*s' (the modules walk did not find it)", c->line,
                     commands[c->kind].name, (int)name_len(c->argv[0]), c->argv[0]);
            return 1;
        }
        switch (c->kind) {
        case C_RESET:
            fprintf(log, "-> RESET\n");
            rc = kdsim_link_reset(l);
            break;
        case C_WAIT_STATE: {
            kdsim_event ev;
            rc = wait_for(s, l, log, 0, 0, &ev);
            if (rc == 0 && c->argc == 1) {
                uint32_t want = strcmp(c->argv[0], "exception") == 0      ? KD_STATE_EXCEPTION
                                : strcmp(c->argv[0], "load_symbols") == 0 ? KD_STATE_LOAD_SYMBOLS
                                                                          : KD_STATE_COMMAND_STRING;
                /* Other state changes are continued, as WinDbg does with
                 * load-symbols events it is not told to stop on. */
                while (rc == 0 && s->last->api != want) {
                    rc = send_continue(s, l, log, 0);
                    if (rc == 0)
                        rc = wait_for(s, l, log, 0, 0, &ev);
                }
            }
            break;
        }
        case C_WAIT_IO: {
            kdsim_event ev;
            uint32_t api = c->argc == 0 ? 0 : strcmp(c->argv[0], "print") == 0 ? KD_IO_PRINT_STRING : KD_IO_GET_STRING;
            rc = wait_for(s, l, log, KD_TYPE_DEBUG_IO, api, &ev);
            break;
        }
        case C_GET_VERSION:
            m.api = KD_API_GET_VERSION;
            rc = request(s, l, log, &m);
            if (rc == 0) {
                const kd_node *kb = kd_msg_find(s->last, KD_F_M_GV_KERN_BASE);
                const kd_node *mt = kd_msg_find(s->last, KD_F_M_GV_MACHINE_TYPE);
                if (!kb)
                    kb = kd_msg_find(s->last, KD_F_M_GV32_KERN_BASE);
                if (!mt)
                    mt = kd_msg_find(s->last, KD_F_M_GV32_MACHINE_TYPE);
                const kd_node *ml = kd_msg_find(s->last, KD_F_M_GV_PS_LOADED_MODULE_LIST);
                if (!ml)
                    ml = kd_msg_find(s->last, KD_F_M_GV32_PS_LOADED_MODULE_LIST);
                if (kb)
                    s->kernbase = kb->value;
                if (ml)
                    s->module_list = ml->value;
                if (mt) {
                    s->arch = kd_arch_from_machine((uint32_t)mt->value);
                    kdsim_link_set_views(l, s->arch, s->width ? s->width : 64);
                }
            }
            break;
        case C_READ_VIRTUAL:
        case C_READ_PHYSICAL: {
            uint64_t len;
            parse_number(c->argv[1], &len);
            f[0] = (kd_enc_field){KD_F_M_RM_TARGET_BASE_ADDRESS, addr};
            f[1] = (kd_enc_field){KD_F_M_RM_TRANSFER_COUNT, len};
            m.api = c->kind == C_READ_VIRTUAL ? KD_API_READ_VIRTUAL_MEMORY : KD_API_READ_PHYSICAL_MEMORY;
            m.fields = f;
            m.n_fields = 2;
            rc = request(s, l, log, &m);
            break;
        }
        case C_WRITE_VIRTUAL: {
            int n = hex_bytes(c->argv[1], data);
            f[0] = (kd_enc_field){KD_F_M_WM_TARGET_BASE_ADDRESS, addr};
            f[1] = (kd_enc_field){KD_F_M_WM_TRANSFER_COUNT, (uint64_t)n};
            m.api = KD_API_WRITE_VIRTUAL_MEMORY;
            m.fields = f;
            m.n_fields = 2;
            m.data = data;
            m.data_len = (size_t)n;
            rc = request(s, l, log, &m);
            break;
        }
        case C_GET_CONTEXT:
            m.api = KD_API_GET_CONTEXT;
            rc = request(s, l, log, &m);
            if (rc == 0) {
                const kd_node *ctx = kd_msg_find(s->last, KD_F_CTX);
                const kd_node *fl = kd_msg_find(s->last, KD_F_CTX_CONTEXT_FLAGS);
                if (ctx && ctx->length <= sizeof s->context) {
                    memcpy(s->context, s->last_bytes + ctx->offset, ctx->length);
                    s->context_len = ctx->length;
                }
                s->context_flags = fl ? (uint32_t)fl->value : 0;
            }
            break;
        case C_SET_CONTEXT:
            if (!s->context_len) {
                snprintf(err, errlen, "%d: set_context: no get_context before it", c->line);
                return 1;
            }
            f[0] = (kd_enc_field){KD_F_M_SC_CONTEXT_FLAGS, s->context_flags};
            m.api = KD_API_SET_CONTEXT;
            m.fields = f;
            m.n_fields = 1;
            m.data = s->context;
            m.data_len = s->context_len;
            rc = request(s, l, log, &m);
            break;
        case C_BP:
            f[0] = (kd_enc_field){KD_F_M_WB_BREAK_POINT_ADDRESS, addr};
            m.api = KD_API_WRITE_BREAK_POINT;
            m.fields = f;
            m.n_fields = 1;
            rc = request(s, l, log, &m);
            break;
        case C_BC: {
            uint64_t h;
            parse_number(c->argv[0], &h);
            f[0] = (kd_enc_field){KD_F_M_RB_BREAK_POINT_HANDLE, h};
            m.api = KD_API_RESTORE_BREAK_POINT;
            m.fields = f;
            m.n_fields = 1;
            rc = request(s, l, log, &m);
            break;
        }
        case C_CONTINUE:
        case C_STEP:
            rc = send_continue(s, l, log, c->kind == C_STEP);
            break;
        case C_BREAK:
            fprintf(log, "-> break-in\n");
            rc = kdsim_link_break_in(l);
            break;
        case C_PROMPT_ANSWER:
            snprintf(s->prompt_answer, sizeof s->prompt_answer, "%s", c->argv[0]);
            break;
        case C_EXPECT:
            if (expect(s, c, log, err, errlen) != 0)
                return 1;
            break;
        case C_MODULES:
            if (!s->module_list) {
                snprintf(err, errlen, "%d: modules: no PsLoadedModuleList (get_version first)", c->line);
                return 1;
            }
            rc = walk_modules(s, l, log);
            break;
        }
        if (rc != 0) {
            snprintf(err, errlen, "%d: %s: the link failed (no answer from the target)", c->line,
                     commands[c->kind].name);
            return -1;
        }
    }
    return 0;
}

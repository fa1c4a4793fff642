/*
** audit/format.c — decision records for people and programs: one JSON
** object per record (walking pc_log_fields, so every field appears under
** its column name) or one line of text.
**
** The stored context is re-parsed before it is embedded, so a tampered,
** non-JSON context is shown as a string instead of breaking the output.
*/
#include <string.h>

#include "../base/json.h"
#include "audit.h"

#define AT(rec, f, type) ((const type *)((const char *)(rec) + (f)->offset))

static void json_hash(pc_buf *b, const uint8_t *h)
{
    char hex[2 * PC_HASH_LEN + 1];
    pc_hex(h, PC_HASH_LEN, hex);
    pc_buf_printf(b, "\"%s\"", hex);
}

static void json_context(pc_buf *b, pc_str ctx)
{
    if (!ctx.ptr) {
        pc_buf_puts(b, "null");
        return;
    }
    json_t *v = pc_json_parse(ctx.ptr, ctx.len, "context", NULL);
    if (v)
        pc_buf_append(b, ctx.ptr, ctx.len);
    else
        pc_buf_json_string(b, ctx.ptr, ctx.len);
    json_decref(v);
}

static void json_field(pc_buf *b, const pc_field_desc *f, const pc_log_record *r)
{
    pc_buf_printf(b, ",\"%s\":", f->name);
    switch ((pc_field_kind)f->kind) {
    case PC_FIELD_I64: pc_buf_printf(b, "%lld", (long long)*AT(r, f, int64_t)); break;
    case PC_FIELD_STR: pc_buf_json_string(b, AT(r, f, pc_str)->ptr, AT(r, f, pc_str)->len); break;
    case PC_FIELD_OPT: json_context(b, *AT(r, f, pc_str)); break;
    case PC_FIELD_LIST: pc_strlist_to_json(b, *AT(r, f, pc_strlist)); break;
    case PC_FIELD_HASH: json_hash(b, AT(r, f, uint8_t)); break;
    }
}

bool pc_log_record_json(pc_buf *b, const pc_log_record *r)
{
    pc_buf_printf(b, "{\"seq\":%lld", (long long)r->seq);
    if (r->malformed) {
        pc_buf_puts(b, ",\"malformed\":");
        pc_buf_json_string(b, r->malformed, strlen(r->malformed));
        return pc_buf_putc(b, '}') && !b->oom;
    }
    char when[PC_TIME_TEXT_MAX];
    pc_buf_printf(b, ",\"time\":\"%s\"", pc_time_text(r->time_us, when));
    for (size_t i = 0; i < PC_LOG_N_FIELDS; i++)
        json_field(b, &pc_log_fields[i], r);
    pc_buf_puts(b, ",\"hash\":");
    json_hash(b, r->hash);
    return pc_buf_putc(b, '}') && !b->oom;
}

/* A string on a text line: control bytes as \xNN, so one record is one line. */
static void text_str(pc_buf *b, pc_str s)
{
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c < 0x20 || c == 0x7f)
            pc_buf_printf(b, "\\x%02x", c);
        else
            pc_buf_putc(b, (char)c);
    }
}

static void text_list(pc_buf *b, const char *label, pc_strlist l)
{
    pc_buf_printf(b, " %s=[", label);
    for (uint32_t i = 0; i < l.n; i++) {
        if (i)
            pc_buf_putc(b, ',');
        text_str(b, l.items[i]);
    }
    pc_buf_putc(b, ']');
}

/* " label=value", the label only for non-empty strings when given. */
static void text_field(pc_buf *b, const char *label, pc_str s)
{
    if (label && !s.len)
        return;
    pc_buf_putc(b, ' ');
    if (label)
        pc_buf_printf(b, "%s=", label);
    text_str(b, s);
}

bool pc_log_record_text(pc_buf *b, const pc_log_record *r)
{
    if (r->malformed) {
        pc_buf_printf(b, "#%lld MALFORMED:", (long long)r->seq);
        text_field(b, NULL, pc_str_from_cstr(r->malformed));
        return !b->oom;
    }
    char when[PC_TIME_TEXT_MAX];
    pc_buf_printf(b, "#%lld %s", (long long)r->seq, pc_time_text(r->time_us, when));
    text_field(b, NULL, r->decision);
    text_field(b, NULL, r->principal);
    text_field(b, NULL, r->action);
    text_field(b, NULL, r->resource);
    text_list(b, "reasons", r->reasons);
    if (r->errors.n)
        text_list(b, "errors", r->errors);
    text_field(b, "error", r->error);
    pc_buf_printf(b, " latency=%lldus", (long long)r->latency_us);
    text_field(b, "id", r->decision_id);
    text_field(b, "request", r->request_id);
    text_field(b, "approval", r->approval_id);
    return !b->oom;
}

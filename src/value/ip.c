/*
** value/ip.c — the Cedar `ipaddr` extension type.
**
** An ipaddr is an address plus a prefix length (CIDR). The text accepted is
** exactly the reference's (Rust std's address grammar plus Cedar's checks):
**   IPv4  four decimal octets 0..255, no leading zeros ("01" is refused);
**   IPv6  up to eight groups of 1..4 hex digits, at most one "::" standing for
**         at least one zero group; IPv4-embedded forms ("::ffff:1.2.3.4") are
**         refused to avoid confusion (write them in hex instead);
**   /N    optional prefix: decimal, no leading zeros, at most 32 (IPv4) or
**         128 (IPv6), at most 2 or 3 characters; without it the prefix is full.
** Host bits are kept as written, and equality compares version, prefix and
** every address bit, so ip("10.0.0.1/8") != ip("10.0.0.0/8").
**
** Range tests work on big-endian byte arrays with a per-byte mask, which
** treats the 4 bytes of IPv4 and the 16 of IPv6 with one piece of code and
** needs no 128-bit integers: a range is [address & mask, address | ~mask].
*/
#include <string.h>

#include "ext_internal.h"

#define IP_STR_MAX 43        /* len("ABCD:EF01:2345:6789:ABCD:EF01:2345:6789/128") */
#define V4_BYTES 4
#define V6_BYTES 16
#define V4_BITS 32
#define V6_BITS 128
#define V4_PREFIX_CHARS 2    /* "32" */
#define V6_PREFIX_CHARS 3    /* "128" */
#define V4_OCTET_CHARS 3     /* "255" */
#define V6_GROUP_CHARS 4     /* "ffff" */
#define V6_GROUPS 8

static size_t width(const pc_ipaddr *ip) { return ip->is_v6 ? V6_BYTES : V4_BYTES; }

/* ---- parsing ----------------------------------------------------------- */

/* A decimal number of 1..max_chars digits, no leading zero, at most limit. */
static bool parse_small_dec(const char *s, size_t n, size_t max_chars, unsigned limit,
                            unsigned *out)
{
    if (n == 0 || n > max_chars || pc_digit_run(s, n) != n || (s[0] == '0' && n > 1))
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (unsigned)(s[i] - '0');
    if (v > limit)
        return false;
    *out = v;
    return true;
}

static bool parse_v4(const char *s, size_t n, uint8_t addr[V4_BYTES])
{
    size_t pos = 0;
    for (int k = 0; k < V4_BYTES; k++) {
        size_t end = n;   /* the last octet runs to the end */
        if (k < V4_BYTES - 1) {
            const char *dot = memchr(s + pos, '.', n - pos);
            if (!dot)
                return false;
            end = (size_t)(dot - s);
        }
        unsigned octet;
        if (!parse_small_dec(s + pos, end - pos, V4_OCTET_CHARS, 255, &octet))
            return false;
        addr[k] = (uint8_t)octet;
        pos = end + 1;
    }
    return true;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
** Colon-separated hex groups ("" is zero groups) into groups[0..max);
** returns the count, or -1 when malformed or more than max.
*/
static int parse_groups(const char *s, size_t n, uint16_t *groups, int max)
{
    if (n == 0)
        return 0;
    int count = 0;
    size_t pos = 0;
    for (;;) {
        size_t len = 0;
        unsigned v = 0;
        while (pos + len < n && s[pos + len] != ':') {
            int h = hex_value(s[pos + len]);
            if (h < 0 || ++len > V6_GROUP_CHARS)
                return -1;
            v = v * 16 + (unsigned)h;
        }
        if (len == 0 || count == max)
            return -1;
        groups[count++] = (uint16_t)v;
        pos += len;
        if (pos == n)
            return count;
        pos++;   /* the ':' */
    }
}

static bool parse_v6(const char *s, size_t n, uint8_t addr[V6_BYTES])
{
    uint16_t head[V6_GROUPS], tail[V6_GROUPS];
    int nh, nt = 0;
    const char *gap = NULL;
    for (size_t i = 0; i + 1 < n && !gap; i++)
        if (s[i] == ':' && s[i + 1] == ':')
            gap = s + i;
    if (!gap) {
        nh = parse_groups(s, n, head, V6_GROUPS);
        if (nh != V6_GROUPS)
            return false;
    } else {
        /* "::" stands for at least one zero group, so at most 7 are written. */
        size_t at = (size_t)(gap - s);
        nh = parse_groups(s, at, head, V6_GROUPS - 1);
        nt = nh < 0 ? -1 : parse_groups(gap + 2, n - at - 2, tail, V6_GROUPS - 1 - nh);
        if (nh < 0 || nt < 0)
            return false;
    }
    uint16_t all[V6_GROUPS] = {0};
    memcpy(all, head, (size_t)nh * sizeof *head);
    memcpy(all + V6_GROUPS - nt, tail, (size_t)nt * sizeof *tail);
    for (int g = 0; g < V6_GROUPS; g++) {
        addr[2 * g] = (uint8_t)(all[g] >> 8);
        addr[2 * g + 1] = (uint8_t)(all[g] & 0xff);
    }
    return true;
}

/* Count of c in s, stopping at two: all the embedded-IPv4 check needs. */
static int count_upto_two(const char *s, size_t n, char c)
{
    int k = 0;
    for (size_t i = 0; i < n && k < 2; i++)
        k += s[i] == c;
    return k;
}

bool pc_ip_parse(const char *s, size_t n, pc_ipaddr *out, const char **why)
{
    if (n > IP_STR_MAX) {
        *why = "too long to be an IP address or range (at most 43 characters)";
        return false;
    }
    if (count_upto_two(s, n, ':') == 2 && count_upto_two(s, n, '.') == 2) {
        *why = "IPv4 embedded in IPv6 (like ::ffff:127.0.0.1) is not accepted; "
               "write the address in hexadecimal";
        return false;
    }
    const char *slash = memchr(s, '/', n);
    size_t alen = slash ? (size_t)(slash - s) : n;
    pc_ipaddr ip;
    memset(&ip, 0, sizeof ip);
    if (parse_v4(s, alen, ip.addr)) {
        ip.is_v6 = 0;
    } else if (parse_v6(s, alen, ip.addr)) {
        ip.is_v6 = 1;
    } else {
        *why = "not a valid IPv4 or IPv6 address";
        return false;
    }
    unsigned bits = ip.is_v6 ? V6_BITS : V4_BITS;
    unsigned prefix = bits;
    if (slash && !parse_small_dec(slash + 1, n - alen - 1,
                                  ip.is_v6 ? V6_PREFIX_CHARS : V4_PREFIX_CHARS, bits, &prefix)) {
        *why = ip.is_v6 ? "invalid prefix length (expected 0 to 128, no leading zeros)"
                        : "invalid prefix length (expected 0 to 32, no leading zeros)";
        return false;
    }
    ip.prefix = (uint8_t)prefix;
    *out = ip;
    return true;
}

/* ---- printing ---------------------------------------------------------- */

/* The longest run of two or more zero groups (the first on a tie), or len 0. */
static void longest_zero_run(const uint16_t g[V6_GROUPS], int *start, int *len)
{
    *start = -1;
    *len = 0;
    for (int i = 0; i < V6_GROUPS;) {
        int j = i;
        while (j < V6_GROUPS && g[j] == 0)
            j++;
        if (j - i > *len && j - i >= 2) {
            *start = i;
            *len = j - i;
        }
        i = j > i ? j : i + 1;
    }
}

/*
** RFC 5952 form: lower-case hex, no leading zeros, the longest zero run as
** "::". Unlike Rust's Display, IPv4-mapped addresses stay in hex, because
** "::ffff:1.2.3.4" is a form ip() refuses and printing must round-trip.
*/
static bool print_v6(pc_buf *b, const uint8_t addr[V6_BYTES])
{
    uint16_t g[V6_GROUPS];
    for (int i = 0; i < V6_GROUPS; i++)
        g[i] = (uint16_t)(addr[2 * i] << 8 | addr[2 * i + 1]);
    int zs, zl;
    longest_zero_run(g, &zs, &zl);
    for (int i = 0; i < V6_GROUPS; i++) {
        if (i == zs) {
            pc_buf_puts(b, "::");
            i += zl - 1;
            continue;
        }
        if (i > 0 && i != zs + zl)
            pc_buf_putc(b, ':');
        pc_buf_printf(b, "%x", g[i]);
    }
    return !b->oom;
}

bool pc_ip_print(pc_buf *b, const pc_ipaddr *ip)
{
    if (ip->is_v6)
        print_v6(b, ip->addr);
    else
        pc_buf_printf(b, "%u.%u.%u.%u", ip->addr[0], ip->addr[1], ip->addr[2], ip->addr[3]);
    /* A full-length prefix is what ip() assumes when none is written. */
    if (ip->prefix != (ip->is_v6 ? V6_BITS : V4_BITS))
        pc_buf_printf(b, "/%u", ip->prefix);
    return !b->oom;
}

/* ---- comparisons ------------------------------------------------------- */

bool pc_ip_eq(const pc_ipaddr *a, const pc_ipaddr *b)
{
    return a->is_v6 == b->is_v6 && a->prefix == b->prefix &&
           memcmp(a->addr, b->addr, width(a)) == 0;
}

uint64_t pc_ip_hash(const pc_ipaddr *ip)
{
    uint8_t key[2 + V6_BYTES];
    key[0] = ip->is_v6;
    key[1] = ip->prefix;
    memcpy(key + 2, ip->addr, width(ip));
    return pc_hash_bytes(key, 2 + width(ip));
}

/* The first and last address of ip's range, as big-endian bytes. */
static void range_of(const pc_ipaddr *ip, uint8_t lo[V6_BYTES], uint8_t hi[V6_BYTES])
{
    for (size_t i = 0; i < width(ip); i++) {
        int bits = (int)ip->prefix - 8 * (int)i;   /* network bits in this byte */
        uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
        lo[i] = ip->addr[i] & mask;
        hi[i] = ip->addr[i] | (uint8_t)~mask;
    }
}

bool pc_ip_in_range(const pc_ipaddr *a, const pc_ipaddr *b)
{
    if (a->is_v6 != b->is_v6)
        return false;
    uint8_t alo[V6_BYTES], ahi[V6_BYTES], blo[V6_BYTES], bhi[V6_BYTES];
    range_of(a, alo, ahi);
    range_of(b, blo, bhi);
    size_t w = width(a);
    return memcmp(blo, alo, w) <= 0 && memcmp(ahi, bhi, w) <= 0;
}

/* The reference defines both tests as "the whole range lies in the block". */
static const pc_ipaddr loopback_v4 = {0, 8, {127, 0, 0, 0}};
static const pc_ipaddr loopback_v6 = {1, 128, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
static const pc_ipaddr multicast_v4 = {0, 4, {224, 0, 0, 0}};
static const pc_ipaddr multicast_v6 = {1, 8, {0xff}};

bool pc_ip_is_loopback(const pc_ipaddr *ip)
{
    return pc_ip_in_range(ip, ip->is_v6 ? &loopback_v6 : &loopback_v4);
}

bool pc_ip_is_multicast(const pc_ipaddr *ip)
{
    return pc_ip_in_range(ip, ip->is_v6 ? &multicast_v6 : &multicast_v4);
}

/*
** server/server.c — the daemon's lifecycle: listeners, loading and
** reloading the policy set, and the main thread's signal loop.
**
** We create the listening sockets ourselves (TCP and Unix) and hand them to
** libmicrohttpd, one daemon each, each with its own epoll thread pool; that
** gives clear bind errors and lets `--listen 127.0.0.1:0` pick a free port,
** which we print. The main thread does no HTTP: it waits for signals with a
** timeout and, between signals, compares a fingerprint (names, sizes, mtimes,
** inodes) of the policy files with the one taken before the last load.
** SIGHUP or a change rebuilds the set here, off the request path; a build
** that fails leaves the serving set in place and is logged and recorded for
** /readyz and /metrics. SIGHUP also re-reads the admin token file.
**
** An optional third listener speaks TLS (libmicrohttpd over GnuTLS) with a
** certificate and key read once at start; the Unix socket stays plain, as
** only local processes can reach it.
*/
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "http.h"
#include "jsonmem.h"
#include "server.h"

#define LISTEN_BACKLOG 1024
#define CONNECTION_TIMEOUT_S 60
#define MAX_TOKEN_BYTES 4096
#define MAX_PEM_BYTES (1u << 20)   /* a certificate chain or key file */
/* TLS 1.2 and 1.3 only, GnuTLS's default ciphers for them. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/* ---- logging --------------------------------------------------------- */

static void say(const char *fmt, ...) PC_PRINTF(1, 2);

/* One line to stderr: UTC time, then the message. */
static void say(const char *fmt, ...)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "portcullis serve %s: ", stamp);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    fputs("portcullis serve: libmicrohttpd: ", stderr);
    vfprintf(stderr, fmt, ap);
}

/* ---- loading --------------------------------------------------------- */

static void record(pc_srv *s, const char *trigger, const char *error)
{
    char *copy = error ? strdup(error) : NULL;
    pthread_mutex_lock(&s->state_lock);
    free(s->last.error);
    s->last.ok = !error;
    s->last.error = copy;
    s->last.trigger = trigger;
    s->last.at = (int64_t)time(NULL);
    pthread_mutex_unlock(&s->state_lock);
    pc_srv_metrics_reload(&s->metrics, !error);
}

pc_status pc_srv_install(pc_srv *s, pc_srv_sources *src, const char *trigger,
                         bool failure_is_reload, pc_diag *d)
{
    pthread_mutex_lock(&s->reload_lock);
    pc_srv_snapshot *next = NULL;
    src->validate = s->cfg->validate_policies;
    pc_status st = pc_srv_snapshot_build(src, &s->cfg->identity, &next, d);
    if (st == PC_OK) {
        say("%s: serving policy set %s (%zu policies)", trigger, next->version,
              pc_engine_policy_count(next->engine));
        pc_srv_slot_swap(&s->slot, next);
    }
    pthread_mutex_unlock(&s->reload_lock);
    if (st == PC_OK || failure_is_reload)
        record(s, trigger, st == PC_OK ? NULL : d->msg ? d->msg : "out of memory");
    if (st != PC_OK)
        say("%s: policy set rejected, the previous one keeps serving: %s", trigger,
              d->msg ? d->msg : "out of memory");
    return st;
}

/* A fingerprint of the files a load reads: any edit, add, remove or rename changes it. */
static uint64_t fingerprint(const pc_srv_config *cfg)
{
    pc_buf b;
    pc_buf_init(&b);
    DIR *dh = opendir(cfg->policy_dir);
    struct dirent *e;
    while (dh && (e = readdir(dh))) {
        const char *n = e->d_name;
        bool wanted = pc_srv_is_policy_file(n) || (cfg->schema && !strcmp(n, cfg->schema)) ||
                      (cfg->entities && !strcmp(n, cfg->entities));
        struct stat st;
        if (wanted && fstatat(dirfd(dh), n, &st, 0) == 0)
            pc_buf_printf(&b, "%s/%lld.%ld/%lld/%llu\n", n, (long long)st.st_mtim.tv_sec,
                          st.st_mtim.tv_nsec, (long long)st.st_size,
                          (unsigned long long)st.st_ino);
    }
    if (dh)
        closedir(dh);
    /* readdir order is stable for an unchanged directory, so no sort is needed */
    uint64_t h = b.data ? pc_hash_bytes(b.data, b.len) : 0;
    pc_buf_free(&b);
    return h;
}

static pc_status load_from_disk(pc_srv *s, const char *trigger, pc_diag *d)
{
    const pc_srv_config *cfg = s->cfg;
    s->fingerprint = fingerprint(cfg);   /* before reading: a change while reading reloads again */
    pc_srv_sources src;
    if (pc_srv_sources_read(cfg->policy_dir, cfg->schema, cfg->entities, &src, d) != PC_OK) {
        record(s, trigger, d->msg ? d->msg : "out of memory");
        say("%s: cannot read the policy set, the previous one keeps serving: %s", trigger,
              d->msg ? d->msg : "out of memory");
        return d->status;
    }
    return pc_srv_install(s, &src, trigger, true, d);
}

static void reload(pc_srv *s, const char *trigger)
{
    pc_diag d;
    pc_diag_init(&d);
    load_from_disk(s, trigger, &d);
    pc_diag_clear(&d);
}

/* ---- the admin token ------------------------------------------------- */

static bool digest(const char *text, size_t len, unsigned char out[PC_SRV_TOKEN_HASH])
{
    unsigned int n = 0;
    return EVP_Digest(text, len, out, &n, EVP_sha256(), NULL) && n == PC_SRV_TOKEN_HASH;
}

/*
** (Re)read the token file and make its digest the admin credential. A file
** that cannot be read, or is empty, leaves no credential at all (the admin
** API answers 401): after a rotation gone wrong the old token must not go on
** working. Without a configured file there is nothing to do.
*/
static pc_status load_token(pc_srv *s, pc_diag *d)
{
    const char *path = s->cfg->admin_token_file;
    char *text = NULL;
    size_t len = 0;
    unsigned char hash[PC_SRV_TOKEN_HASH];
    if (!path)
        return PC_OK;
    if (pc_read_file(path, MAX_TOKEN_BYTES, &text, &len, d) != PC_OK) {
        pc_diag_prefix(d, "admin_token_file");
    } else {
        while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
            len--;
        if (len == 0)
            pc_diag_set(d, PC_ERR_INVALID, "admin_token_file %s is empty", path);
        else if (!digest(text, len, hash))
            pc_diag_set(d, PC_ERR_NOMEM, "cannot hash the admin token");
        OPENSSL_cleanse(text, len);
        free(text);
    }
    pthread_mutex_lock(&s->token_lock);
    s->admin_enabled = d->status == PC_OK;
    memcpy(s->admin_hash, hash, s->admin_enabled ? sizeof hash : 0);
    pthread_mutex_unlock(&s->token_lock);
    OPENSSL_cleanse(hash, sizeof hash);
    return d->status;
}

bool pc_srv_admin_token_ok(pc_srv *s, const char *presented, size_t len, bool *enabled)
{
    unsigned char got[PC_SRV_TOKEN_HASH];
    bool hashed = digest(presented, len, got), ok;
    pthread_mutex_lock(&s->token_lock);
    *enabled = s->admin_enabled;
    ok = hashed && s->admin_enabled && CRYPTO_memcmp(got, s->admin_hash, sizeof got) == 0;
    pthread_mutex_unlock(&s->token_lock);
    return ok;
}

static void reload_token(pc_srv *s)
{
    pc_diag d;
    pc_diag_init(&d);
    if (s->cfg->admin_token_file && load_token(s, &d) == PC_OK)
        say("SIGHUP: admin token re-read from %s", s->cfg->admin_token_file);
    else if (s->cfg->admin_token_file)
        say("SIGHUP: admin API closed until the token file can be read: %s",
            d.msg ? d.msg : "out of memory");
    pc_diag_clear(&d);
}

/* ---- listeners ------------------------------------------------------- */

/* Split "host:port" or "[v6]:port" into its parts (host and port are copied into buf). */
static bool split_address(const char *addr, char *buf, size_t cap, const char **host,
                          const char **port)
{
    if (strlen(addr) >= cap)
        return false;
    strcpy(buf, addr);
    char *colon = strrchr(buf, ':');
    if (!colon || colon == buf)
        return false;
    *colon = '\0';
    *port = colon + 1;
    *host = buf;
    if (buf[0] == '[' && colon[-1] == ']') {
        colon[-1] = '\0';
        *host = buf + 1;
    }
    return **port != '\0';
}

static pc_status listen_tcp(const char *addr, int *out, int *port_out, pc_diag *d)
{
    char buf[256];
    const char *host, *port;
    if (!split_address(addr, buf, sizeof buf, &host, &port))
        return pc_diag_set(d, PC_ERR_INVALID, "listen %s: expected HOST:PORT", addr);
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0)
        return pc_diag_set(d, PC_ERR_INVALID, "listen %s: %s", addr, gai_strerror(rc));
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
        pc_diag_set(d, PC_ERR_IO, "listen %s: %s", addr, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (fd >= 0 && getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        *port_out = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                   : ((struct sockaddr_in *)&ss)->sin_port);
    *out = fd;
    return d->status;
}

/* Is a live server answering on this Unix socket path? */
static bool socket_in_use(const struct sockaddr_un *sa)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool used = fd >= 0 && connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0;
    if (fd >= 0)
        close(fd);
    return used;
}

static pc_status listen_unix(const char *path, int *out, pc_diag *d)
{
    struct sockaddr_un sa = {0};
    struct stat st;
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa.sun_path)
        return pc_diag_set(d, PC_ERR_INVALID, "unix %s: path longer than %zu bytes", path,
                           sizeof sa.sun_path - 1);
    strcpy(sa.sun_path, path);
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode) || socket_in_use(&sa))
            return pc_diag_set(d, PC_ERR_IO, "unix %s: already exists%s", path,
                               S_ISSOCK(st.st_mode) ? " and a server answers on it" : "");
        unlink(path);   /* a stale socket left by a server that died */
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(fd, LISTEN_BACKLOG) != 0) {
        pc_diag_set(d, PC_ERR_IO, "unix %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return PC_ERR_IO;
    }
    *out = fd;
    return PC_OK;
}

/* A daemon on fd, speaking TLS (with the loaded certificate and key) when tls. */
static struct MHD_Daemon *start_daemon(pc_srv *s, int fd, bool tls)
{
    unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
                         (tls ? MHD_USE_TLS : 0);
    struct MHD_OptionItem tls_options[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key},
        {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES},
        {MHD_OPTION_END, 0, NULL},
    };
    if (!tls)
        tls_options[0].option = MHD_OPTION_END;
    return MHD_start_daemon(flags, 0, NULL, NULL, pc_srv_on_request, s,
                            MHD_OPTION_EXTERNAL_LOGGER, log_mhd, NULL,   /* first: see its docs */
                            MHD_OPTION_LISTEN_SOCKET, fd,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)s->cfg->threads,
                            MHD_OPTION_NOTIFY_COMPLETED, pc_srv_on_completed, s,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONNECTION_TIMEOUT_S,
                            MHD_OPTION_ARRAY, tls_options, MHD_OPTION_END);
}

/* Open a listener and its daemon in slot i. */
static pc_status serve_on(pc_srv *s, pc_srv_listener i, int fd, const char *what, pc_diag *d)
{
    s->fds[i] = fd;
    if (!(s->daemons[i] = start_daemon(s, fd, i == PC_SRV_TLS)))
        return pc_diag_set(d, PC_ERR_IO, "%s: libmicrohttpd could not start%s", what,
                           i == PC_SRV_TLS ? " (is the certificate or key malformed, or do "
                                             "they not match?)" : "");
    s->fds[i] = -1;   /* the daemon owns and closes it now */
    return PC_OK;
}

/* The TLS certificate and key, read once: the daemon keeps using them. */
static pc_status load_tls(pc_srv *s, pc_diag *d)
{
    const pc_srv_config *cfg = s->cfg;
    size_t len = 0;
    if (!cfg->tls_listen)
        return PC_OK;
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return pc_diag_set(d, PC_ERR_INVALID, "tls_listen: this libmicrohttpd was built "
                           "without TLS support");
    if (pc_read_file(cfg->tls_cert, MAX_PEM_BYTES, &s->tls_cert, &len, d) != PC_OK ||
        pc_read_file(cfg->tls_key, MAX_PEM_BYTES, &s->tls_key, &s->tls_key_len, d) != PC_OK)
        pc_diag_prefix(d, "tls");
    return d->status;
}

/* Log one TCP listener's address with the port it got ("host:0" picks one). */
static void announce(const char *scheme, const char *addr, int port)
{
    say("listening on %s://%.*s:%d", scheme, (int)(strrchr(addr, ':') - addr), addr, port);
}

/*
** Start every listener, then announce them: a client that waits for a
** "listening on" line may use any address the moment it sees one.
*/
static pc_status open_listeners(pc_srv *s, pc_diag *d)
{
    const pc_srv_config *cfg = s->cfg;
    int fd = -1, port = 0, tls_port = 0;
    if (cfg->listen && listen_tcp(cfg->listen, &fd, &port, d) == PC_OK)
        serve_on(s, PC_SRV_TCP, fd, cfg->listen, d);
    if (d->status == PC_OK && cfg->tls_listen &&
        listen_tcp(cfg->tls_listen, &fd, &tls_port, d) == PC_OK)
        serve_on(s, PC_SRV_TLS, fd, cfg->tls_listen, d);
    if (d->status == PC_OK && cfg->unix_path && listen_unix(cfg->unix_path, &fd, d) == PC_OK) {
        s->unix_bound = strdup(cfg->unix_path);
        serve_on(s, PC_SRV_UNIX, fd, cfg->unix_path, d);
    }
    if (d->status != PC_OK)
        return d->status;
    if (s->daemons[PC_SRV_UNIX])
        say("listening on unix:%s", cfg->unix_path);
    if (s->daemons[PC_SRV_TLS])
        announce("https", cfg->tls_listen, tls_port);
    if (s->daemons[PC_SRV_TCP])
        announce("http", cfg->listen, port);
    return PC_OK;
}

/* ---- lifecycle ------------------------------------------------------- */

static void wait_set(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
}

/* The grant ledger outlives snapshots: a spent grant stays spent across reloads. */
static pc_status open_ledger(pc_srv *s, pc_diag *d)
{
    const pc_grant_config *gc = &s->cfg->identity.grants;
    if (!gc->signing_key && gc->n_verify_keys == 0)
        return PC_OK;
    if (!(s->ledger = pc_grant_ledger_memory(PC_GRANT_LEDGER_DEFAULT_CAP)))
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory making the grant ledger");
    return PC_OK;
}

pc_status pc_srv_start(const pc_srv_config *cfg, pc_srv **out, pc_diag *d)
{
    sigset_t set;
    wait_set(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    json_object_seed(0);   /* seed jansson's hashing now, before any worker thread can race to */
    pc_srv_jsonmem_install();
    *out = NULL;
    pc_srv *s = calloc(1, sizeof *s);
    if (!s)
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory starting the server");
    s->cfg = cfg;
    for (int i = 0; i < PC_SRV_LISTENERS; i++)
        s->fds[i] = -1;
    pc_srv_slot_init(&s->slot, NULL);
    pc_srv_metrics_init(&s->metrics);
    pthread_mutex_init(&s->reload_lock, NULL);
    pthread_mutex_init(&s->state_lock, NULL);
    pthread_mutex_init(&s->token_lock, NULL);
    if (load_token(s, d) != PC_OK || load_tls(s, d) != PC_OK ||
        load_from_disk(s, "startup", d) != PC_OK || pc_srv_journal_open(s, d) != PC_OK ||
        open_ledger(s, d) != PC_OK || pc_srv_approvals_open(s, d) != PC_OK ||
        open_listeners(s, d) != PC_OK) {
        pc_srv_stop(s);
        return d->status;
    }
    *out = s;
    return PC_OK;
}

void pc_srv_run(pc_srv *s)
{
    sigset_t set;
    wait_set(&set);
    uint32_t ms = s->cfg->reload_poll_ms;
    struct timespec every = {ms / 1000, (long)(ms % 1000) * 1000000L};
    for (;;) {
        int sig = ms ? sigtimedwait(&set, NULL, &every) : sigwaitinfo(&set, NULL);
        if (sig == SIGINT || sig == SIGTERM) {
            say("%s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
            return;
        }
        if (sig == SIGHUP) {
            reload(s, "SIGHUP");
            reload_token(s);
        } else if (sig < 0 && errno == EAGAIN && fingerprint(s->cfg) != s->fingerprint) {
            reload(s, "file change");
        }
    }
}

void pc_srv_stop(pc_srv *s)
{
    if (!s)
        return;
    for (int i = 0; i < PC_SRV_LISTENERS; i++) {
        if (s->daemons[i])
            MHD_stop_daemon(s->daemons[i]);
        if (s->fds[i] >= 0)
            close(s->fds[i]);
    }
    pc_srv_journal_close(s);   /* the listeners are gone: no decision can still be logging */
    pc_grant_ledger_free(s->ledger);
    pc_store_close(s->approvals);
    if (s->unix_bound)
        unlink(s->unix_bound);
    free(s->unix_bound);
    pc_srv_slot_destroy(&s->slot);
    pthread_mutex_destroy(&s->reload_lock);
    pthread_mutex_destroy(&s->state_lock);
    pthread_mutex_destroy(&s->token_lock);
    if (s->tls_key)
        OPENSSL_cleanse(s->tls_key, s->tls_key_len);
    free(s->tls_key);
    free(s->tls_cert);
    free(s->last.error);
    OPENSSL_cleanse(s->admin_hash, sizeof s->admin_hash);
    free(s);
}

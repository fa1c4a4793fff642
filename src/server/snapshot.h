/*
** server/snapshot.h — immutable policy-set snapshots and the slot that
** holds the current one.
**
** A snapshot is everything one decision needs: a frozen engine, the source
** texts it was built from (for the admin API) and their SHA-256 version. It is
** never modified after it is built, so any number of threads read it without
** locks. Readers take a reference for the length of one HTTP request; the
** last release frees it. A reload builds a whole new snapshot off the request
** path and swaps it into the slot, so a request always finishes on the
** snapshot it started with. The trusted issuers (their JWKS files re-read)
** and the grant keys are built with it and swapped with it, so one request
** sees one consistent policy set and one consistent trust.
*/
#ifndef PC_SRV_SNAPSHOT_H
#define PC_SRV_SNAPSHOT_H

#include <pthread.h>
#include <stdatomic.h>

#include "engine/engine.h"
#include "identity/identity.h"

#define PC_SRV_MAX_POLICY_FILES 4096
#define PC_SRV_VERSION_HEX 64      /* SHA-256 in hex */

/* One named source text (a file, or a part of an admin PUT). */
typedef struct pc_srv_text {
    char *name;
    char *text;                    /* NUL-terminated; NULL when absent */
    size_t len;
} pc_srv_text;

/* The texts a policy set is built from; owns its strings. */
typedef struct pc_srv_sources {
    pc_srv_text *policies;         /* in name order */
    uint32_t n_policies;
    pc_srv_text schema;            /* text NULL: no schema */
    pc_schema_format schema_format;
    pc_srv_text entities;          /* text NULL: no entities */
    bool validate;                 /* with a schema, refuse a set that fails strict validation */
} pc_srv_sources;

typedef struct pc_srv_snapshot {
    atomic_uint refs;
    pc_engine *engine;
    pc_srv_sources src;
    pc_id_trust *trust;            /* NULL: no identity issuers configured */
    pc_grant_keyring *grants;      /* NULL: grants not configured */
    char version[PC_SRV_VERSION_HEX + 1];
    int64_t loaded_at;             /* Unix seconds */
} pc_srv_snapshot;

/* Is this directory entry a policy file (*.cedar, not hidden)? */
bool pc_srv_is_policy_file(const char *name);
/* Read the *.cedar files of dir (name order), the schema and entities files. */
pc_status pc_srv_sources_read(const char *dir, const char *schema, const char *entities,
                              pc_srv_sources *out, pc_diag *d);
void pc_srv_sources_free(pc_srv_sources *s);

/*
** Build a snapshot (refs = 1) from sources, which it takes over (*src is
** emptied), with the trust and grant keys of id (NULL: none).
*/
pc_status pc_srv_snapshot_build(pc_srv_sources *src, const pc_id_config *id,
                                pc_srv_snapshot **out, pc_diag *d);
pc_srv_snapshot *pc_srv_snapshot_ref(pc_srv_snapshot *s);
void pc_srv_snapshot_unref(pc_srv_snapshot *s);

/*
** The slot holding the current snapshot. Acquiring is a pointer read and a
** reference increment under a mutex that is only ever held for that long
** (or for the pointer exchange of a swap): building a snapshot never holds
** it, so a reload cannot stall a decision.
*/
typedef struct pc_srv_slot {
    pthread_mutex_t lock;
    pc_srv_snapshot *current;
} pc_srv_slot;

void pc_srv_slot_init(pc_srv_slot *slot, pc_srv_snapshot *first);
pc_srv_snapshot *pc_srv_slot_acquire(pc_srv_slot *slot);
/* Install next (the slot takes the caller's reference) and drop the old one. */
void pc_srv_slot_swap(pc_srv_slot *slot, pc_srv_snapshot *next);
void pc_srv_slot_destroy(pc_srv_slot *slot);

#endif

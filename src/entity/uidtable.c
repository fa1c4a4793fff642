/*
** entity/uidtable.c — the open-addressing uid table behind the entity store
** and the overlay: slots hold 1-based item indices, probing is linear, and
** the item's cached hash is compared before its uid.
*/
#include "entity_internal.h"

uint32_t pc_uid_table_find(const uint32_t *slots, uint32_t n_slots, const void *items,
                           size_t stride, const pc_uid *u, uint64_t h)
{
    if (n_slots == 0)
        return PC_UID_NONE;
    uint32_t mask = n_slots - 1;
    for (uint32_t i = (uint32_t)h & mask; slots[i]; i = (i + 1) & mask) {
        const pc_uid_item *it =
            (const pc_uid_item *)(const void *)((const char *)items + (size_t)(slots[i] - 1) * stride);
        if (it->hash == h && pc_uid_eq(it->pub.uid, u))
            return slots[i] - 1;
    }
    return PC_UID_NONE;
}

void pc_uid_table_place(uint32_t *slots, uint32_t n_slots, uint64_t h, uint32_t idx)
{
    uint32_t mask = n_slots - 1, i = (uint32_t)h & mask;
    while (slots[i])
        i = (i + 1) & mask;
    slots[i] = idx + 1;
}

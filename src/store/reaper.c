/* store/reaper.c — see reaper.h. A mutex-protected singly linked FIFO and a
 * thread that waits on a condition variable. */
#include "store/reaper.h"

#include "core/log.h"
#include "store/data.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_MAX 100000 /* beyond this, removal happens inline: memory stays bounded */

struct item {
    struct item *next;
    char id[];
};

struct pail_reaper {
    struct pail_data *data;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct item *head, **tail;
    size_t n;
    unsigned held; /* pail_reaper_hold depth */
    bool stop;
};

static void remove_now(struct pail_data *d, const char *id)
{
    if (pail_data_remove(d, id) != PAIL_OK)
        pail_warn("reaper: could not remove data %s (left for the start-up sweep)", id);
}

/* Takes the whole queue at once so removals run without the lock. */
static void *reaper_main(void *arg)
{
    struct pail_reaper *r = arg;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while ((!r->head || r->held) && !r->stop)
            pthread_cond_wait(&r->cv, &r->mu);
        struct item *batch = r->head;
        r->head = NULL;
        r->tail = &r->head;
        r->n = 0;
        bool stop = r->stop;
        pthread_mutex_unlock(&r->mu);
        while (batch) {
            struct item *next = batch->next;
            remove_now(r->data, batch->id);
            free(batch);
            batch = next;
        }
        pthread_mutex_lock(&r->mu);
        if (stop && !r->head)
            break;
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

struct pail_reaper *pail_reaper_new(struct pail_data *d)
{
    struct pail_reaper *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->data = d;
    r->tail = &r->head;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    if (pthread_create(&r->thread, NULL, reaper_main, r) != 0) {
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cv);
        free(r);
        return NULL;
    }
    return r;
}

void pail_reaper_add(struct pail_reaper *r, struct pail_data *d, const char *id)
{
    size_t len = strlen(id);
    struct item *it = r ? malloc(sizeof(*it) + len + 1) : NULL;
    if (it) {
        memcpy(it->id, id, len + 1);
        it->next = NULL;
        pthread_mutex_lock(&r->mu);
        bool room = (r->n < QUEUE_MAX || r->held) && !r->stop;
        if (room) {
            *r->tail = it;
            r->tail = &it->next;
            r->n++;
            pthread_cond_signal(&r->cv);
        }
        pthread_mutex_unlock(&r->mu);
        if (room)
            return;
        free(it);
    }
    remove_now(d, id);
}

void pail_reaper_hold(struct pail_reaper *r, bool hold)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    if (hold)
        r->held++;
    else if (r->held)
        r->held--;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

void pail_reaper_free(struct pail_reaper *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
}

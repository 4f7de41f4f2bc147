/* queue: the hand-off between threads. A FIFO of items that embed a struct
 * queue_link (no memory is allocated: a push cannot fail for want of it),
 * bounded in the items pushed as counted: a push of a counted item waits
 * while the queue holds bound of them. Items pushed uncounted (control
 * messages: a new model, a stop) never wait and are not bounded; they keep
 * their place in the order.
 *
 * Whoever pops an item owns it. Closing wakes every waiter: pushes are then
 * refused, pops drain what is left and then return NULL. A queue told a
 * loop and an ev_async (queue_wake) sends that ev_async at each push, so
 * that a consumer on the loop pops in its callback with queue_try_pop.
 *
 * Threads: every call may come from any thread; queue_new and queue_free
 * from one while no other uses the queue. */
#ifndef FLOWSAD_QUEUE_H
#define FLOWSAD_QUEUE_H

#include <ev.h>
#include <stddef.h>

struct queue_link {
	struct queue_link *next;
	int counted;
};

/* The item whose link l is, of type T, its link the member M. */
#define queue_item(l, T, M) ((T *)(void *)((char *)(l) - offsetof(T, M)))

struct queue;

/* A queue of at most bound counted items (0: no bound). NULL without memory. */
struct queue *queue_new(size_t bound);
/* Frees the queue; items still in it are the caller's (pop them first).
 * NULL: no-op. */
void queue_free(struct queue *q);
/* Every push from now on sends w on loop (both borrowed; NULL: none). */
void queue_wake(struct queue *q, struct ev_loop *loop, ev_async *w);

/* Appends item l (counted: bounded, may wait). Returns 0; 1 when it had
 * to wait for room; -EPIPE once the queue is closed (l not taken). */
int queue_push(struct queue *q, struct queue_link *l, int counted)
	__attribute__((warn_unused_result));
/* queue_push of a counted item, waiting for room seconds at most: -ETIMEDOUT
 * when none came (l not taken). */
int queue_push_wait(struct queue *q, struct queue_link *l, double seconds)
	__attribute__((warn_unused_result));
/* The oldest item, waiting for one; NULL once closed and empty. */
struct queue_link *queue_pop(struct queue *q);
/* The oldest item, waiting at most seconds for one; NULL when none came
 * (or the queue is closed and empty: queue_closed says which). */
struct queue_link *queue_pop_wait(struct queue *q, double seconds);
/* Whether queue_close was called. */
int queue_closed(struct queue *q);
/* The oldest item, or NULL at once when there is none. */
struct queue_link *queue_try_pop(struct queue *q);
/* Refuses pushes from now on and wakes every waiter. */
void queue_close(struct queue *q);

/* Items in the queue now, and counted ones among them. */
size_t queue_length(struct queue *q, size_t *counted);

#endif

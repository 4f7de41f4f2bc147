/* The hand-off between threads (queue.h). */
#include "common/queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct queue {
	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full;
	struct queue_link *head, *tail; /* under mu */
	size_t n, counted, bound;       /* under mu */
	int closed;                     /* under mu */
	struct ev_loop *loop;           /* set before other threads use it */
	ev_async *wake;
};

struct queue *queue_new(size_t bound)
{
	struct queue *q = calloc(1, sizeof *q);
	if (!q)
		return NULL;
	q->bound = bound;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	pthread_cond_init(&q->not_full, NULL);
	return q;
}

void queue_free(struct queue *q)
{
	if (!q)
		return;
	pthread_cond_destroy(&q->not_full);
	pthread_cond_destroy(&q->not_empty);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

void queue_wake(struct queue *q, struct ev_loop *loop, ev_async *w)
{
	pthread_mutex_lock(&q->mu);
	q->loop = loop;
	q->wake = w;
	pthread_mutex_unlock(&q->mu);
}

/* The realtime clock seconds from now, for pthread_cond_timedwait. */
static struct timespec deadline_in(double seconds)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	if (seconds > 0) {
		long long ns = (long long)(seconds * 1e9) + until.tv_nsec;
		until.tv_sec += (time_t)(ns / 1000000000);
		until.tv_nsec = (long)(ns % 1000000000);
	}
	return until;
}

/* queue_push, waiting for room until *until at most (NULL: as long as it
 * takes). */
static int push(struct queue *q, struct queue_link *l, int counted, const struct timespec *until)
{
	int waited = 0;
	pthread_mutex_lock(&q->mu);
	while (counted && q->bound && q->counted >= q->bound && !q->closed) {
		waited = 1;
		if (!until) {
			pthread_cond_wait(&q->not_full, &q->mu);
		} else if (pthread_cond_timedwait(&q->not_full, &q->mu, until) == ETIMEDOUT &&
			   q->counted >= q->bound && !q->closed) {
			pthread_mutex_unlock(&q->mu);
			return -ETIMEDOUT;
		}
	}
	if (q->closed) {
		pthread_mutex_unlock(&q->mu);
		return -EPIPE;
	}
	l->next = NULL;
	l->counted = counted != 0;
	if (q->tail)
		q->tail->next = l;
	else
		q->head = l;
	q->tail = l;
	q->n++;
	q->counted += (size_t)l->counted;
	struct ev_loop *loop = q->loop;
	ev_async *wake = q->wake;
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->mu);
	if (wake)
		ev_async_send(loop, wake);
	return waited;
}

int queue_push(struct queue *q, struct queue_link *l, int counted)
{
	return push(q, l, counted, NULL);
}

int queue_push_wait(struct queue *q, struct queue_link *l, double seconds)
{
	struct timespec until = deadline_in(seconds);
	return push(q, l, 1, &until);
}

/* The head taken off. Under mu, with an item there. */
static struct queue_link *take(struct queue *q)
{
	struct queue_link *l = q->head;
	q->head = l->next;
	if (!q->head)
		q->tail = NULL;
	q->n--;
	if (l->counted) {
		q->counted--;
		pthread_cond_signal(&q->not_full);
	}
	l->next = NULL;
	return l;
}

struct queue_link *queue_pop(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	while (!q->head && !q->closed)
		pthread_cond_wait(&q->not_empty, &q->mu);
	struct queue_link *l = q->head ? take(q) : NULL;
	pthread_mutex_unlock(&q->mu);
	return l;
}

struct queue_link *queue_pop_wait(struct queue *q, double seconds)
{
	struct timespec until = deadline_in(seconds);
	pthread_mutex_lock(&q->mu);
	while (!q->head && !q->closed &&
	       pthread_cond_timedwait(&q->not_empty, &q->mu, &until) != ETIMEDOUT)
		;
	struct queue_link *l = q->head ? take(q) : NULL;
	pthread_mutex_unlock(&q->mu);
	return l;
}

int queue_closed(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	int closed = q->closed;
	pthread_mutex_unlock(&q->mu);
	return closed;
}

struct queue_link *queue_try_pop(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	struct queue_link *l = q->head ? take(q) : NULL;
	pthread_mutex_unlock(&q->mu);
	return l;
}

void queue_close(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = 1;
	pthread_cond_broadcast(&q->not_empty);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->mu);
}

size_t queue_length(struct queue *q, size_t *counted)
{
	pthread_mutex_lock(&q->mu);
	size_t n = q->n;
	if (counted)
		*counted = q->counted;
	pthread_mutex_unlock(&q->mu);
	return n;
}
